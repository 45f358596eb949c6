"""What a classifier head reads: pooled feature maps from three depths of the frozen backbone.

The exported backbone ends in the ImageNet features (the 1280-d pooled output of its last
1×1 convolution). Those describe *what* is in a crop (a person) more than its colours and
where they are, so on the bench's people-by-trouser-colour task a head on them learned
which people it had seen: 0.81 on later footage at 10 examples per class. The head now
reads, from the same single pass:

- the output of block 15's projection (320 channels, stride 32: 7×7 at 224 px),
- the output of block 10 (112 channels, stride 16: 14×14), and
- the output of block 7 (80 channels, stride 16: 14×14), a shallower, more colour-bound
  map, over the crop's centre column only (`column_edges`: the middle 6 of 14 columns),
  where an object crop (`square_crop`, centred on the box) has its object and not the
  background beside it,

each averaged over its whole area and over its top and bottom halves (a helmet is on top,
trousers are at the bottom): 3·320 + 3·112 + 3·80 = 1536 values. bench/train.py at 10
examples per class on later footage: 0.81 (ImageNet output) → 0.88 (blocks 15 + 10) →
0.92 (+ block 7, the zoomed-out view and the whitened head; README's classifier section).
Block 7 alone, paired over 16 draws with the other two: +0.007 pooled over whole rows,
+0.016 over the centre column (block 2's centre column instead +0.014, as well +0.006).
The head whitens its inputs (`roost.train.head`), so the three depths weigh the same per
value whatever their scale.

`head_feature_graph` rewrites the exported backbone (tensor names as torch's exporter
writes them; `check_backbone` at setup fails loudly if a re-export changed them), so no
re-export with torch is needed. Nodes the new output does not need (the 1280-channel head
convolution) are dropped, which also makes the pass a little cheaper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import onnx
from onnx import TensorProto, helper, numpy_helper

import numpy as np

from roost.classify.model_files import FEATURES_OUTPUT, INPUT_NAME

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tap:
    """A feature map inside the backbone: tensor name, channels, stride in input pixels,
    whether it is pooled over the centre column only (`column_edges`) or the full width, and
    a factor its pooled values are multiplied by (`SIMILARITY_SCALE_B7`)."""

    tensor: str
    channels: int
    stride: int
    centre_column: bool = False
    scale: float = 1.0


#: Block 7's values are scaled down by this. The head standardises every value, so for it
#: the factor changes nothing (the same predictions to 1e-5); but cosine similarity of the
#: raw features (near-duplicates, grouping by likeness, the wizard's distinct picks) is
#: measured and thresholded on blocks 15 + 10, and unscaled block 7 (values about 3× as
#: large) would carry as much of a crop's norm as block 15 and made the wizard's picks
#: worse (bench/train.py `distinct_selection_embedding_vs_histogram` 1.01 → 0.97).
SIMILARITY_SCALE_B7 = 0.1
TAPS = (Tap("/_blocks.15/_project_conv/Conv_output_0", 320, 32),
        Tap("/_blocks.10/Add_output_0", 112, 16),
        Tap("/_blocks.7/Add_output_0", 80, 16, centre_column=True, scale=SIMILARITY_SCALE_B7))
#: The backbone's coarsest stride: an input side that is a multiple of it keeps every map's
#: size a whole number and the export's static "same" padding (computed by the exporter for
#: 224 px) equal to what "same" padding is at that size.
INPUT_STRIDE = 32
#: Horizontal bands each map is also averaged over (besides the whole map).
ROWS = 2
#: Changes whenever TAPS/ROWS change, so cached features of another layout are rebuilt.
FEATURE_LAYOUT = f"b15proj+b10add:mean+2rows;b7add:centre+2rows*{SIMILARITY_SCALE_B7:g}"


def head_feature_dim(taps: tuple[Tap, ...] = TAPS) -> int:
    return sum(tap.channels * (1 + ROWS) for tap in taps)


def band_edges(height: int, rows: int = ROWS) -> list[int]:
    """Row boundaries of `rows` bands of a map `height` tall; the top band takes the odd row.

    >>> band_edges(7), band_edges(14)
    ([0, 4, 7], [0, 7, 14])
    """
    return [int(np.ceil(height * i / rows)) for i in range(rows + 1)]


def column_edges(width: int) -> tuple[int, int]:
    """First and past-the-last column of the centre column of a map `width` wide: the middle
    half, rounded inwards (`ceil(width / 4)` columns off each side).

    >>> column_edges(14), column_edges(7)
    ((4, 10), (2, 5))
    """
    margin = -(-width // 4)
    return margin, width - margin


def _slice(source: str, prefix: str, start: int, end: int, axis: int) -> tuple[onnx.NodeProto, list[onnx.TensorProto]]:
    constants = [numpy_helper.from_array(np.array([start], np.int64), f"{prefix}_start"),
                 numpy_helper.from_array(np.array([end], np.int64), f"{prefix}_end"),
                 numpy_helper.from_array(np.array([axis], np.int64), f"{prefix}_axis")]
    node = helper.make_node("Slice", [source, f"{prefix}_start", f"{prefix}_end", f"{prefix}_axis"],
                            [f"{prefix}_out"], name=f"{prefix}_slice")
    return node, constants


def _pooled_nodes(tap: Tap, index: int, input_size: int) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto], list[str]]:
    height = input_size // tap.stride
    nodes: list[onnx.NodeProto] = []
    constants: list[onnx.TensorProto] = []
    source = tap.tensor
    if tap.centre_column:
        start, end = column_edges(height)  # the maps are square
        node, consts = _slice(tap.tensor, f"tap{index}_centre", start, end, 3)
        nodes.append(node)
        constants += consts
        source = node.output[0]
    if tap.scale != 1.0:
        constants.append(numpy_helper.from_array(np.array(tap.scale, np.float32), f"tap{index}_scale"))
        nodes.append(helper.make_node("Mul", [source, f"tap{index}_scale"], [f"tap{index}_scaled"],
                                      name=f"tap{index}_scale"))
        source = f"tap{index}_scaled"
    nodes.append(helper.make_node("ReduceMean", [source], [f"tap{index}_mean"], axes=[2, 3], keepdims=0,
                                  name=f"tap{index}_mean"))
    outputs = [f"tap{index}_mean"]
    edges = band_edges(height)
    for band in range(ROWS):
        prefix = f"tap{index}_band{band}"
        node, consts = _slice(source, prefix, edges[band], edges[band + 1], 2)
        constants += consts
        nodes += [node, helper.make_node("ReduceMean", [node.output[0]], [f"{prefix}_mean"], axes=[2, 3], keepdims=0,
                                         name=f"{prefix}_mean")]
        outputs.append(f"{prefix}_mean")
    return nodes, constants, outputs


def head_feature_graph(backbone: onnx.ModelProto, input_size: int = 224) -> onnx.ModelProto:
    """A copy of the backbone for `input_size`² inputs whose one output `features`
    (N, `head_feature_dim()`) is what the head reads. The export is fully convolutional, so
    only the declared input shape changes with the size. Raises ValueError when a tapped
    tensor is not in the graph or `input_size` is not a positive multiple of `INPUT_STRIDE`."""
    if input_size <= 0 or input_size % INPUT_STRIDE:
        raise ValueError(f"backbone input size {input_size}: expected a positive multiple of {INPUT_STRIDE}")
    model = onnx.ModelProto()
    model.CopyFrom(backbone)
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim if graph.input else []
    if len(dims) == 4:
        dims[2].dim_value = dims[3].dim_value = input_size
    del graph.value_info[:]  # shapes inferred at the export's size
    produced = {name for node in graph.node for name in node.output}
    missing = [tap.tensor for tap in TAPS if tap.tensor not in produced]
    if missing or [i.name for i in graph.input][:1] != [INPUT_NAME]:
        raise ValueError(f"backbone graph lacks input '{INPUT_NAME}' or the feature maps {missing}; "
                         "was it exported by scripts/export_backbone.py?")
    for node in graph.node:  # the old pooled output's name is taken by the new one
        node.output[:] = [f"{name}_imagenet" if name == FEATURES_OUTPUT else name for name in node.output]
    parts: list[str] = []
    for index, tap in enumerate(TAPS):
        nodes, constants, outputs = _pooled_nodes(tap, index, input_size)
        graph.node.extend(nodes)
        graph.initializer.extend(constants)
        parts += outputs
    graph.node.append(helper.make_node("Concat", parts, [FEATURES_OUTPUT], axis=1, name="head_features"))
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(FEATURES_OUTPUT, TensorProto.FLOAT, ["batch", head_feature_dim()]))
    _drop_unused(graph)
    return model


def _drop_unused(graph: onnx.GraphProto) -> None:
    """Remove nodes and initializers that no graph output depends on."""
    needed = {o.name for o in graph.output}
    kept: list[onnx.NodeProto] = []
    for node in reversed(graph.node):
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    initializers = [init for init in graph.initializer if init.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
