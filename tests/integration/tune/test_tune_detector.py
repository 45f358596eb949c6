"""Tuning the default detector on a small verified set built from real footage: 14 frames of
Debian opencv-doc's vtest.avi with their hand-checked person and car boxes
(bench/data/detect_ground_truth.json), the cars labelled `vehicle` — a label the base model
does not have, so it becomes a new class. A real run of the product's tune (rules, time
split, the prepare / torch / finish children, int8), kept short (one epoch, few views);
started, cancelled and listed through the HTTP API the annotation page uses; then the tuned
model is selected by `model.path` alone and runs in the camera pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import pytest

from roost.annotate.frames import AnnotationBox
from roost.annotate.store import AnnotationStore, encode_frame, verified_frames
from roost.api import create_app
from roost.api.context import ApiContext
from roost.config import validate_raw
from roost.config.services import DetectorConfig
from roost.detect.onnx_detector import OnnxDetector, model_labels, model_type_of
from roost.hub import Hub
from roost.detect.regions import pairwise_iou
from roost.paths import model_cache_dir
from roost.store import Database, database_url
from roost.track.camera import CameraPipeline
from roost.tune.files import tuned_models, tuned_root
from roost.tune.runner import TuneRefusedError, TuneSettings, build_request, tune_python

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[3]
GROUND_TRUTH = REPO / "bench" / "data" / "detect_ground_truth.json"
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
WIDTH, HEIGHT = 768, 576
BASE_TIME = 1_700_000_000.0
QUICK = TuneSettings(epochs=1, views=28, min_crops=2, max_crops=2)


def vtest_config(model_path: str | None = None) -> Any:
    return validate_raw({"api": {"enabled": False}, "auth": {"enabled": False}, "mqtt": {"enabled": False},
                         "model": {"path": model_path} if model_path else {}, "objects": {"track": ["person"]},
                         "cameras": {"vtest": {"ffmpeg": {"inputs": [{"path": "vtest.mp4", "roles": ["detect"]}]},
                                               "detect": {"width": WIDTH, "height": HEIGHT, "fps": 5}}}})


def vtest_frames(indices: list[int]) -> dict[int, np.ndarray]:
    """RGB frames of vtest.avi by index (decoded once with ffmpeg)."""
    last = max(indices)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", VTEST, "-frames:v", str(last + 1), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "pipe:"], capture_output=True, check=True).stdout
    video = np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3)
    return {i: video[i].copy() for i in indices}


@pytest.fixture(scope="module")
def truth() -> list[dict[str, Any]]:
    images = json.loads(GROUND_TRUTH.read_text())["images"]
    return [i for i in images if i["source"]["kind"] == "video"][:14]


@pytest.fixture(scope="module")
def footage(truth: list[dict[str, Any]]) -> dict[int, np.ndarray]:
    return vtest_frames([int(t["source"]["frame"]) for t in truth])


def add_frames(store: AnnotationStore, truth: list[dict[str, Any]], footage: dict[int, np.ndarray]) -> None:
    for item in truth:
        index = int(item["source"]["frame"])
        boxes = [AnnotationBox("vehicle" if b["label"] == "car" else b["label"], tuple(b["box"]))  # type: ignore[arg-type]
                 for b in item["boxes"]]
        store.add(encode_frame(cv2.cvtColor(footage[index], cv2.COLOR_RGB2BGR)), WIDTH, HEIGHT,
                  frame_time=BASE_TIME + index / 10, source="import", camera="vtest", boxes=boxes, verified=True)


@pytest.fixture
def places(tmp_path: Path) -> Iterator[tuple[AnnotationStore, Database, Path, Path]]:
    media = tmp_path / "media"
    database = Database(database_url(None, None, media))
    database.migrate()
    cache = tmp_path / "model_cache"
    cache.mkdir()
    (cache / "detector").symlink_to(model_cache_dir() / "detector")
    yield AnnotationStore(database, media / "clips"), database, media / "clips", cache
    database.close()


def api_client(places: Any, model_path: str | None = None) -> tuple[TestClient, ApiContext]:
    """The HTTP API on these places, with the quick tune settings."""
    _store, database, clips, cache = places
    context = ApiContext(loaded=vtest_config(model_path), database=database, hub=Hub(), controls={},
                         media_dir=clips.parent, model_cache=cache, tune_settings=QUICK)
    return TestClient(create_app(context, authenticated=False)), context


def test_tuning_refuses_with_fewer_than_ten_verified_frames(places: Any, truth: list[dict[str, Any]],
                                                          footage: dict[int, np.ndarray]) -> None:
    store, database, clips, cache = places
    add_frames(store, truth[:9], footage)
    with pytest.raises(TuneRefusedError, match="at least 10 verified frames; there are 9"):
        build_request(verified_frames(database, clips), cache, 320, QUICK)
    client, _context = api_client(places)
    state = client.get("/api/annotations/tune").json()
    assert state["counts"]["verified"] == 9 and "verify 1 more" in state["counts"]["refusal"]
    refused = client.post("/api/annotations/tune")
    assert refused.status_code == 400 and "there are 9 (verify 1 more)" in refused.json()["message"]
    assert client.delete("/api/annotations/tune").status_code == 409  # nothing to cancel


def test_a_cancelled_tune_writes_nothing(places: Any, truth: list[dict[str, Any]],
                                          footage: dict[int, np.ndarray]) -> None:
    store, _database, _clips, cache = places
    add_frames(store, truth[:10], footage)
    client, context = api_client(places)
    assert client.post("/api/annotations/tune").status_code == 202
    assert client.post("/api/annotations/tune").status_code == 409  # one at a time
    cancelled = client.delete("/api/annotations/tune")
    assert cancelled.status_code == 200, cancelled.text
    state = cancelled.json()
    assert state["progress"]["state"] == "cancelled" and not state["running"]
    assert state["models"] == [] and tuned_models(cache) == []
    assert not any(tuned_root(cache).glob(".work-*"))  # its work folder is gone too


def test_a_tuned_model_is_written_loads_by_model_path_alone_and_detects(
        places: Any, truth: list[dict[str, Any]], footage: dict[int, np.ndarray]) -> None:
    assert tune_python().is_file(), "the tune virtualenv is missing: scripts/prepare-tune.sh"
    store, database, clips, cache = places
    add_frames(store, truth[:12], footage)
    request = build_request(verified_frames(database, clips), cache, 320, QUICK)
    assert request["new_labels"] == ["vehicle"] and request["labels"][80:] == ["vehicle"]
    assert len(request["train"]) == 9 and len(request["held_out"]) == 3  # the latest 3 by time
    assert max(f["frame_time"] for f in request["train"]) < min(f["frame_time"] for f in request["held_out"])
    client, context = api_client(places)
    seen: list[str] = []
    context.tuner.subscribe(lambda progress: seen.append(progress.stage))
    started = client.post("/api/annotations/tune")
    assert started.status_code == 202, started.text
    assert started.json()["running"] and started.json()["progress"]["state"] == "tuning"
    result = context.tuner.wait(timeout=240)
    assert result.state == "complete", result.message
    assert {"preparing", "features", "training", "quantizing", "scoring"} <= set(seen)
    assert "torch" not in sys.modules  # the server's side never imports it
    state = client.get("/api/annotations/tune").json()
    [listed] = state["models"]
    assert listed["frames"] == {"train": 9, "held_out": 3} and listed["new_labels"] == ["vehicle"]
    assert not listed["in_use"] and set(listed["ap50"]["tuned"]) == {"person", "vehicle"}
    assert state["counts"]["new_since_last_model"] == 0 and "new since the last tuned model" in state["counts"]["refusal"]

    # The report: AP@0.5 per held-out label for the base and the tuned model.
    [model] = tuned_models(cache)
    report = json.loads(model.report_path.read_text())
    assert report["frames"] == {"train": 9, "held_out": 3}
    assert set(report["ap50"]["base"]) == set(report["ap50"]["tuned"]) == {"person", "vehicle"}
    assert report["ap50"]["base"]["vehicle"] == 0.0  # the base model has no such class
    assert 0.0 <= report["ap50"]["tuned"]["person"] <= 1.0 and report["ap50"]["base"]["person"] > 0.3
    assert sorted(report["train_ids"] + report["held_out_ids"]) == sorted(f.id for f in verified_frames(database, clips))

    # int8 like the default model, with the new class after COCO's 80.
    graph = onnx.load(str(model.model))
    assert any(n.op_type == "QuantizeLinear" for n in graph.graph.node)
    assert model.labelmap.read_text().splitlines()[80] == "vehicle"

    # Selected with `model.path` only: type, input layout and labels come from the model.
    config = vtest_config(str(model.model)).config
    assert model_labels(config.model, cache)[80] == "vehicle"
    assert model_type_of(config.model) == "yolov3"
    selected, _ = api_client(places, str(model.model))
    assert selected.get("/api/config").json()["model"]["model_type"] == "yolov3"  # what Home Assistant reads
    assert selected.get("/api/annotations/tune").json()["models"][0]["in_use"]
    detector = OnnxDetector(config.model, DetectorConfig(), cache)
    assert (detector.model_type, detector.tensor, detector.dtype) == ("yolov3", "nchw", "float")
    heads = detector.session.run(None, {detector.input_name: np.zeros((1, 3, 320, 320), np.float32)})
    assert [h.shape[1] for h in heads] == [3 * (5 + 81)] * 2  # each anchor: box, objectness, 80 + 1 classes
    pipeline = CameraPipeline("vtest", config.cameras["vtest"], detector)
    later = truth[12]  # a frame the tune never saw
    index = int(later["source"]["frame"])
    frames = vtest_frames(list(range(index - 16, index + 1, 2)))
    result_frame = None
    for frame_index, rgb in sorted(frames.items()):
        result_frame = pipeline.process(frame_index / 10, np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)))
    assert result_frame is not None
    people = np.array([o.box for o in result_frame.objects if o.label == "person"], float).reshape(-1, 4)
    hand = np.array([b["box"] for b in later["boxes"] if b["label"] == "person"], float)
    assert len(people) and (pairwise_iou(hand, people).max(axis=1) >= 0.5).sum() >= len(hand) // 2, people

    # A second tune needs 10 frames new since this model: 2 more are not enough.
    add_frames(store, truth[12:14], footage)
    with pytest.raises(TuneRefusedError, match="new since the last tuned model; there are 2"):
        build_request(verified_frames(database, clips), cache, 320, QUICK)
