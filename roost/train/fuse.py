"""Fuse the frozen backbone and a trained head into the one ONNX model run-time loads.

The backbone graph, rewritten by `roost.train.features` to output the head's features
(input `input` (N, 3, 224, 224) → `features` (N, D)), gets three nodes appended:
`MatMul(features, head_weight)`, `Add(head_bias)`, `Softmax(axis=1)` → `probabilities`
(N, C). `features` stays a graph output so suggestions can compare a recent attempt with
the dataset (whose cached features are the same D values) from the same single pass. Only the `onnx` package is
used; the result runs in ONNX Runtime alone (no torch anywhere).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from roost.classify.model_files import FEATURES_OUTPUT, INPUT_NAME, PROBABILITIES_OUTPUT
from roost.train.features import head_feature_graph
from roost.train.head import SoftmaxHead

logger = logging.getLogger(__name__)

HEAD_WEIGHT = "head_weight"
HEAD_BIAS = "head_bias"
LOGITS = "logits"
FILE_MODE = 0o644


def fuse(backbone: onnx.ModelProto, head: SoftmaxHead, labels: list[str], model_name: str,
         input_size: int = 224) -> onnx.ModelProto:
    """A new model: backbone + head, outputs `probabilities` (N, C) then `features` (N, D)."""
    fused = head_feature_graph(backbone, input_size)
    graph = fused.graph
    if [i.name for i in graph.input][:1] != [INPUT_NAME] or FEATURES_OUTPUT not in [o.name for o in graph.output]:
        raise ValueError(f"backbone must have input '{INPUT_NAME}' and output '{FEATURES_OUTPUT}'")
    dim, classes = head.weight.shape
    if classes != len(labels):
        raise ValueError(f"head has {classes} outputs but there are {len(labels)} labels")
    graph.initializer.extend([
        numpy_helper.from_array(head.weight.astype(np.float32), HEAD_WEIGHT),
        numpy_helper.from_array(head.bias.astype(np.float32), HEAD_BIAS),
    ])
    graph.node.extend([
        helper.make_node("MatMul", [FEATURES_OUTPUT, HEAD_WEIGHT], ["head_matmul"], name="head_matmul"),
        helper.make_node("Add", ["head_matmul", HEAD_BIAS], [LOGITS], name="head_add"),
        helper.make_node("Softmax", [LOGITS], [PROBABILITIES_OUTPUT], axis=1, name="head_softmax"),
    ])
    features_output = [o for o in graph.output if o.name == FEATURES_OUTPUT][0]
    kept = onnx.ValueInfoProto()
    kept.CopyFrom(features_output)
    del graph.output[:]
    graph.output.extend([
        helper.make_tensor_value_info(PROBABILITIES_OUTPUT, TensorProto.FLOAT, ["batch", classes]),
        kept,
    ])
    graph.name = f"roost_classifier_{model_name}"
    fused.doc_string = f"Roost custom classifier '{model_name}': EfficientNet-Lite0 features + softmax head"
    del fused.metadata_props[:]
    for key, value in (("roost_model", model_name), ("labels", "\n".join(labels))):
        fused.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.checker.check_model(fused)
    return fused


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, then rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600; the web server and other users read these
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fuse_to_bytes(backbone_file: Path, head: SoftmaxHead, labels: list[str], model_name: str,
                  input_size: int = 224) -> bytes:
    """Serialized fused model (≈ 13 MB + 5 KB per class) from the backbone file on disk."""
    return bytes(fuse(onnx.load(str(backbone_file)), head, labels, model_name, input_size).SerializeToString())
