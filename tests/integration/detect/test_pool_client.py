"""What a camera process loads: its `PoolClient` arrives pickled, so unpickling it imports
the client's module, and that must not bring ONNX Runtime (only the detectors run models)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

from roost.detect.detector_pool import run_detector
from roost.detect.pool_client import PoolClient
from roost.track.camera_process import run_camera

MODEL_RUNTIMES = ("onnxruntime", "onnx")


def modules_loaded_by_unpickling(*objects: object) -> list[str]:
    """Which of `MODEL_RUNTIMES` a fresh interpreter has loaded after unpickling `objects`
    (a spawned child does just that with its target and arguments)."""
    script = (f"import json, pickle, sys; pickle.loads({pickle.dumps(objects)!r}); "
              f"print(json.dumps([m for m in {list(MODEL_RUNTIMES)!r} if m in sys.modules]))")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    loaded: list[str] = json.loads(output)
    return loaded


def test_a_camera_process_never_loads_the_model_runtime() -> None:
    assert modules_loaded_by_unpickling(run_camera, PoolClient) == []


def test_a_detector_process_does() -> None:
    """The check above can fail: the detector's entry point brings both runtimes."""
    assert modules_loaded_by_unpickling(run_detector) == list(MODEL_RUNTIMES)
