"""Roost's Darknet → ONNX converter (numpy + the `onnx` package; no torch, no TensorFlow).

Supports what YOLOv3-tiny uses: `convolutional` (batch norm folded into the weights,
`leaky`/`linear`), `maxpool` (including Darknet's size-2 stride-1 pool, which pads the
right/bottom edge so the size is kept), `route`, `upsample` and `yolo`. The graph takes
`images`: float32 NCHW RGB in 0..1 at the chosen input size, and outputs each `yolo`
layer's raw head `(1, anchors * (5 + classes), h, w)`; `roost.detect.yolo` decodes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

BATCH_NORM_EPSILON = 1e-6  # Darknet's normalize step adds .000001 to the variance
LEAKY_SLOPE = 0.1


@dataclass
class Section:
    kind: str
    options: dict[str, str] = field(default_factory=dict)

    def int(self, key: str, default: int) -> int:
        return int(self.options.get(key, default))


@dataclass(frozen=True)
class YoloHead:
    """One detection head: its output name, grid stride and the anchors (w, h in input
    pixels of the cfg's network size) it predicts with."""

    output: str
    anchors: tuple[tuple[float, float], ...]
    classes: int


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


def yolo_heads(sections: list[Section], outputs: list[str]) -> list[YoloHead]:
    heads = []
    yolo_sections = [s for s in sections if s.kind == "yolo"]
    for section, output in zip(yolo_sections, outputs):
        values = [float(v) for v in section.options["anchors"].split(",")]
        pairs = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
        mask = [int(v) for v in section.options["mask"].split(",")]
        heads.append(YoloHead(output, tuple(pairs[m] for m in mask), section.int("classes", 80)))
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


def convert(cfg_path: Path, weights_path: Path, size: int) -> tuple[onnx.ModelProto, list[YoloHead]]:
    """Build the ONNX model for a `size` x `size` input (a multiple of 32)."""
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
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, None, None, None]) for o in outputs],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="roost")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, yolo_heads(sections, outputs)


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
