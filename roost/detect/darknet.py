"""Roost's Darknet → ONNX converter (numpy + the `onnx` package; no torch, no TensorFlow).

Supports what YOLOv3-tiny uses: `convolutional` (batch norm folded into the weights,
`leaky`/`linear`), `maxpool` (including Darknet's size-2 stride-1 pool, which pads the
right/bottom edge so the size is kept), `route`, `upsample` and `yolo`. The graph takes
`images`: float32 NCHW RGB in 0..1 at the chosen input size (any batch), and outputs each `yolo`
layer's raw head `(1, anchors * (5 + classes), h, w)`; `roost.detect.decode` decodes them
with the anchors each layer's `mask` picks (stored with the model, `roost.detect.anchors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

BATCH_NORM_EPSILON = 1e-6  # Darknet's normalize step adds .000001 to the variance
LEAKY_SLOPE = 0.1
#: `[yolo]` options that change how boxes decode (YOLOv4's), with their neutral value:
#: Roost's decoder does not apply them, so a cfg that sets them is refused, not misread.
UNSUPPORTED_YOLO_OPTIONS = {"scale_x_y": 1.0, "new_coords": 0.0}
#: The batch dimension is left open: a camera's regions of one frame run in one call.
BATCH_DIM = "batch"


@dataclass
class Section:
    kind: str
    options: dict[str, str] = field(default_factory=dict)

    def int(self, key: str, default: int) -> int:
        return int(self.options.get(key, default))


@dataclass(frozen=True)
class YoloHead:
    """One detection head: its output name, the network's full anchor list (w, h in input
    pixels), the `mask` picking this head's anchors from it, and the mask its cfg layer
    gives (they differ where `convert` was passed a correction)."""

    output: str
    all_anchors: tuple[tuple[float, float], ...]
    mask: tuple[int, ...]
    classes: int
    cfg_mask: tuple[int, ...]

    @property
    def anchors(self) -> tuple[tuple[float, float], ...]:
        return tuple(self.all_anchors[i] for i in self.mask)


def parse_cfg(text: str) -> list[Section]:
    sections: list[Section] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sections.append(Section(line.strip("[]").strip()))
        elif "=" in line and sections:
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
    if not sections or sections[0].kind not in ("net", "network"):
        raise ValueError("a Darknet cfg starts with a [net] section")
    return sections


def yolo_heads(sections: list[Section], outputs: list[str], channels: list[int],
               mask_overrides: Mapping[int, Sequence[int]] | None = None) -> list[YoloHead]:
    """The `[yolo]` layers in order, with their masks read from the cfg (Darknet's default
    when a layer has none: every anchor), or `mask_overrides[head index]` where given.
    `channels[i]` is the depth of the tensor head `i` reads: it must be
    `len(mask) * (5 + classes)`, which catches a mask that does not fit the weights' layer."""
    heads = []
    overrides = dict(mask_overrides or {})
    yolo_sections = [s for s in sections if s.kind == "yolo"]
    unknown = sorted(set(overrides) - set(range(len(yolo_sections))))
    if unknown:
        raise ValueError(f"mask override for yolo head(s) {unknown}: the cfg has {len(yolo_sections)} [yolo] layers")
    for index, (section, output, depth) in enumerate(zip(yolo_sections, outputs, channels)):
        where = f"[yolo] layer {index}"
        for key, neutral in UNSUPPORTED_YOLO_OPTIONS.items():
            if key in section.options and float(section.options[key]) != neutral:
                raise ValueError(f"{where}: {key}={section.options[key]} is not supported by Roost's decoder")
        if "anchors" not in section.options:
            raise ValueError(f"{where} has no anchors")
        values = [float(v) for v in section.options["anchors"].split(",") if v.strip()]
        if len(values) % 2:
            raise ValueError(f"{where}: anchors must be w,h pairs, got {len(values)} numbers")
        pairs = tuple((values[i], values[i + 1]) for i in range(0, len(values), 2))
        if "mask" in section.options:
            cfg_mask = tuple(int(v) for v in section.options["mask"].split(",") if v.strip())
        else:
            cfg_mask = tuple(range(section.int("num", len(pairs))))
        mask = tuple(int(v) for v in overrides[index]) if index in overrides else cfg_mask
        if not mask or any(not 0 <= m < len(pairs) for m in mask):
            raise ValueError(f"{where}: mask {list(mask)} does not index its {len(pairs)} anchors")
        classes = section.int("classes", 80)
        if depth != len(mask) * (5 + classes):
            raise ValueError(f"{where}: mask {list(mask)} means {len(mask)} x (5 + {classes}) = "
                             f"{len(mask) * (5 + classes)} channels, the layer before it gives {depth}")
        heads.append(YoloHead(output, pairs, mask, classes, cfg_mask))
    return heads


class _Weights:
    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        major, minor, _revision = np.frombuffer(data[:12], np.int32)
        header = 20 if major * 10 + minor >= 2 else 16
        self.values = np.frombuffer(data[header:], np.float32)
        self.offset = 0

    def take(self, count: int) -> npt.NDArray[np.float32]:
        if self.offset + count > len(self.values):
            raise ValueError("the weights file is shorter than the cfg needs")
        chunk = self.values[self.offset:self.offset + count]
        self.offset += count
        return chunk


def convert(cfg_path: Path, weights_path: Path, size: int,
            mask_overrides: Mapping[int, Sequence[int]] | None = None) -> tuple[onnx.ModelProto, list[YoloHead]]:
    """Build the ONNX model for a `size` x `size` input (a multiple of 32). Each head's
    anchors come from its `[yolo]` layer's `mask`, unless `mask_overrides` (head index →
    mask) says otherwise: for weights trained with another revision of their cfg."""
    if size % 32:
        raise ValueError(f"input size must be a multiple of 32, got {size}")
    sections = parse_cfg(cfg_path.read_text())
    weights = _Weights(weights_path)
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    layer_outputs: list[str] = []
    layer_channels: list[int] = []
    channels, current = 3, "images"
    head_outputs: list[str] = []
    head_channels: list[int] = []
    for index, section in enumerate(sections[1:]):
        name = f"layer{index}_{section.kind}"
        if section.kind == "convolutional":
            current, channels = _convolution(section, name, current, channels, weights, nodes, initializers)
        elif section.kind == "maxpool":
            size_, stride = section.int("size", 2), section.int("stride", 2)
            pad_end = 1 if stride == 1 else 0
            nodes.append(helper.make_node("MaxPool", [current], [name], kernel_shape=[size_, size_],
                                          strides=[stride, stride], pads=[0, 0, pad_end, pad_end]))
            current = name
        elif section.kind == "upsample":
            stride = section.int("stride", 2)
            scales = f"{name}_scales"
            initializers.append(numpy_helper.from_array(np.array([1, 1, stride, stride], np.float32), scales))
            nodes.append(helper.make_node("Resize", [current, "", scales], [name], mode="nearest"))
            current = name
        elif section.kind == "route":
            picked = [int(v) for v in section.options["layers"].split(",")]
            picked = [index + p if p < 0 else p for p in picked]
            if len(picked) == 1:
                current, channels = layer_outputs[picked[0]], layer_channels[picked[0]]
            else:
                nodes.append(helper.make_node("Concat", [layer_outputs[p] for p in picked], [name], axis=1))
                current, channels = name, sum(layer_channels[p] for p in picked)
        elif section.kind == "yolo":
            head_outputs.append(current)
            head_channels.append(channels)
        else:
            raise ValueError(f"Darknet layer [{section.kind}] (layer {index}) is not supported")
        layer_outputs.append(current)
        layer_channels.append(channels)
    if weights.offset != len(weights.values):
        raise ValueError(f"{len(weights.values) - weights.offset} weights left over: cfg and weights do not match")
    outputs = [f"head{i}" for i in range(len(head_outputs))]
    nodes += [helper.make_node("Identity", [src], [dst]) for src, dst in zip(head_outputs, outputs)]
    graph = helper.make_graph(
        nodes, "darknet",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [BATCH_DIM, 3, size, size])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [BATCH_DIM, None, None, None]) for o in outputs],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="roost")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, yolo_heads(sections, outputs, head_channels, mask_overrides)


def _convolution(section: Section, name: str, source: str, channels: int, weights: _Weights,
                 nodes: list[onnx.NodeProto], initializers: list[onnx.TensorProto]) -> tuple[str, int]:
    filters, size, stride = section.int("filters", 1), section.int("size", 1), section.int("stride", 1)
    pad = (size - 1) // 2 if section.int("pad", 0) else section.int("padding", 0)
    bias = weights.take(filters).copy()
    kernel_count = filters * channels * size * size
    if section.int("batch_normalize", 0):
        scale, mean, variance = weights.take(filters), weights.take(filters), weights.take(filters)
        kernel = weights.take(kernel_count).reshape(filters, channels, size, size)
        factor = scale / np.sqrt(variance + BATCH_NORM_EPSILON)
        kernel = kernel * factor[:, None, None, None]
        bias = bias - mean * factor
    else:
        kernel = weights.take(kernel_count).reshape(filters, channels, size, size)
    initializers += [numpy_helper.from_array(kernel.astype(np.float32), f"{name}_w"),
                     numpy_helper.from_array(bias.astype(np.float32), f"{name}_b")]
    conv = f"{name}_conv" if section.options.get("activation", "linear") != "linear" else name
    nodes.append(helper.make_node("Conv", [source, f"{name}_w", f"{name}_b"], [conv],
                                  kernel_shape=[size, size], strides=[stride, stride], pads=[pad] * 4))
    activation = section.options.get("activation", "linear")
    if activation == "leaky":
        nodes.append(helper.make_node("LeakyRelu", [conv], [name], alpha=LEAKY_SLOPE))
    elif activation != "linear":
        raise ValueError(f"activation {activation!r} is not supported")
    return name, filters
