"""Which nodes of a model stay float as its stem, and the optimizers a model asks to leave out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from roost.detect.onnx_detector import DISABLED_OPTIMIZERS_METADATA, disabled_optimizers, file_metadata
from roost.detect.prepare_default import stem_nodes


def tiny_model(ops: list[str], metadata: dict[str, str] | None = None) -> onnx.ModelProto:
    """images -> Conv(3->4) -> the given ops in a chain -> Conv(4->4) -> out."""
    weights = [numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w0"),
               numpy_helper.from_array(np.ones((4, 4, 1, 1), np.float32), "w1")]
    nodes = [helper.make_node("Conv", ["images", "w0"], ["t0"], name="stem_conv", pads=[1, 1, 1, 1])]
    for index, op in enumerate(ops):
        attributes = {"alpha": 0.1} if op == "LeakyRelu" else {"kernel_shape": [2, 2], "strides": [2, 2]}
        nodes.append(helper.make_node(op, [f"t{index}"], [f"t{index + 1}"], name=f"{op}_{index}", **attributes))
    nodes.append(helper.make_node("Conv", [f"t{len(ops)}", "w1"], ["out"], name="next_conv"))
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], weights)
    model = helper.make_model(graph)
    helper.set_model_props(model, metadata or {})
    return model


def test_the_stem_is_the_first_convolution_with_its_activation_and_pool() -> None:
    for ops, stem in ((["LeakyRelu", "MaxPool"], ["stem_conv", "LeakyRelu_0", "MaxPool_1"]),
                      (["MaxPool", "LeakyRelu"], ["stem_conv", "MaxPool_0", "LeakyRelu_1"]),
                      (["LeakyRelu"], ["stem_conv", "LeakyRelu_0"]),
                      ([], ["stem_conv"])):
        assert stem_nodes(tiny_model(ops)) == stem, ops


def test_a_model_whose_image_feeds_two_nodes_has_no_stem() -> None:
    model = tiny_model(["LeakyRelu"])
    model.graph.node.append(helper.make_node("Conv", ["images", "w0"], ["side"], name="second_conv", pads=[1, 1, 1, 1]))
    assert stem_nodes(model) == []


def test_a_second_activation_is_not_part_of_the_stem() -> None:
    assert stem_nodes(tiny_model(["LeakyRelu", "LeakyRelu", "MaxPool"])) == ["stem_conv", "LeakyRelu_0"]


def test_disabled_optimizers_come_from_the_metadata(tmp_path: Path) -> None:
    asking, plain, broken = tmp_path / "asking.onnx", tmp_path / "plain.onnx", tmp_path / "broken.onnx"
    onnx.save(tiny_model([], {DISABLED_OPTIMIZERS_METADATA: "QDQPropagationTransformer, ConstantFolding"}), str(asking))
    onnx.save(tiny_model([]), str(plain))
    broken.write_bytes(b"not a model")
    asked, none, unreadable = file_metadata(asking), file_metadata(plain), file_metadata(broken)
    assert asked is not None and disabled_optimizers(asked) == ["QDQPropagationTransformer", "ConstantFolding"]
    assert none is not None and disabled_optimizers(none) == []
    assert unreadable is None
