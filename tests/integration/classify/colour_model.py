"""A tiny classifier the tests build with the `onnx` package, in the model-cache layout
training writes: its class is the crop's dominant colour (red vs blue)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from roost.classify.model_files import (
    FEATURES_OUTPUT, INPUT_NAME, LABELMAP_FILE, METADATA_FILE, MODEL_FILE, PROBABILITIES_OUTPUT, Preprocessing,
)

LABELS = ["red", "blue"]


def write_colour_model(model_cache: Path, name: str) -> Path:
    """Mean of each channel (after `(x - 127) / 128`) → logits 20·(R − B), 20·(B − R) → softmax."""
    weights = np.array([[20.0, -20.0], [0.0, 0.0], [-20.0, 20.0]], np.float32)  # rows: R, G, B
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", [INPUT_NAME], ["pooled"], axes=[2, 3], keepdims=0),
         helper.make_node("MatMul", ["pooled", "w"], ["logits"]),
         helper.make_node("Softmax", ["logits"], [PROBABILITIES_OUTPUT], axis=1),
         helper.make_node("Identity", ["pooled"], [FEATURES_OUTPUT])],
        "colour", [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info(PROBABILITIES_OUTPUT, TensorProto.FLOAT, ["N", 2]),
         helper.make_tensor_value_info(FEATURES_OUTPUT, TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(weights, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    folder = model_cache / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LABELMAP_FILE).write_text("\n".join(LABELS) + "\n")
    (folder / METADATA_FILE).write_text(json.dumps({"preprocessing": Preprocessing().to_dict(), "classes": LABELS}))
    onnx.save(model, str(folder / MODEL_FILE))
    return folder
