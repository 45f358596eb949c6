"""Training over HTTP: dataset listing with training metadata, a training run reported on
the hub (websocket/MQTT) until complete, quality, suggestions, export and import."""

from __future__ import annotations

import queue
import shutil
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from roost.api.app import create_app
from roost.api.context import ApiContext
from roost.api.training import training_router
from roost.train.messages import TrainingState
from roost.config import validate_raw
from roost.controls import CameraControls
from roost.hub import Hub
from roost.store import Database, database_url
from roost.train.run import Trainer

from train_photos import build_dataset, photo_crops, write_rgb

CONFIG = {
    "cameras": {"front": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
                          "detect": {"width": 640, "height": 480}}},
    "classification": {"custom": {"door": {"state_config": {"cameras": {"front": {"crop": [0, 0, 0.5, 0.5]}}}}}},
}


def test_train_over_http(media: tuple[Path, Path], tmp_path: Path) -> None:
    clips, cache = media
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    hub = Hub()
    messages: queue.Queue[Any] = queue.Queue()
    hub.subscribe("test", messages.put)
    trainer = Trainer()
    trainer.subscribe(lambda progress: hub.publish(TrainingState(progress)))
    loaded = validate_raw(CONFIG)
    context = ApiContext(loaded, db, hub, {n: CameraControls.from_config(n, c) for n, c in loaded.config.cameras.items()},
                         clips.parent, extra_routers=[training_router(trainer)], model_cache=cache)
    client = TestClient(create_app(context, authenticated=False))
    try:
        build_dataset(clips, "door", per_class=8, classes={"open": "astronaut", "closed": "coffee"})
        listing = client.get("/api/classification/door/dataset").json()
        assert sorted(listing["categories"]) == ["closed", "open"] and len(listing["categories"]["open"]) == 8
        assert listing["training_metadata"]["has_trained"] is False
        assert client.get("/api/classification/door/status").json()["state"] == "untrained"

        assert client.post("/api/classification/door/train", json={}).status_code == 202
        deadline = time.monotonic() + 120
        while client.get("/api/classification/door/status").json()["state"] == "training":
            assert time.monotonic() < deadline, "training did not finish"
            time.sleep(0.5)
        status = client.get("/api/classification/door/status").json()
        assert status["state"] == "complete", status
        assert status["metrics"]["accuracy"] >= 0.8
        assert 0 < status["training_seconds"] <= status["elapsed_seconds"] < 120
        assert "verdict" in status["metrics"] and status["metrics"]["groups"] >= 2
        states = []
        while not messages.empty():
            message = messages.get()
            if isinstance(message, TrainingState):
                states.append(message.progress.state)
        assert states[0] == "training" and states[-1] == "complete"
        assert client.get("/api/classification/door/dataset").json()["training_metadata"]["has_trained"] is True

        # Whoever reacts to "complete" may retrain at once: no 409 "already training".
        answers: list[int] = []

        def retrain_on_complete(progress: Any) -> None:
            if progress.state == "complete" and not answers:
                answers.append(client.post("/api/classification/door/train", json={}).status_code)

        trainer.subscribe(retrain_on_complete)
        assert client.post("/api/classification/door/train", json={}).status_code == 202
        assert client.post("/api/classification/door/train", json={}).status_code == 409  # while it runs
        deadline = time.monotonic() + 120
        while len(answers) == 0 or client.get("/api/classification/door/status").json()["state"] == "training":
            assert time.monotonic() < deadline, "retraining did not finish"
            time.sleep(0.2)
        assert answers == [202]

        attempts = clips / "door" / "train"
        for index, crop in enumerate(photo_crops("astronaut", 3, 99)):
            write_rgb(attempts / f"none-none-{1700000000 + index}-open-0.9.webp", crop)
        ranked = client.get("/api/classification/door/suggestions").json()
        assert len(ranked) == 3 and {"near_duplicate"} <= set(ranked[0])

        archive = client.get("/api/classification/door/export?dataset=1")
        assert archive.status_code == 200 and archive.content[:2] == b"PK"
        imported = client.post("/api/classification/import?name=door_copy", content=archive.content)
        assert imported.status_code == 200, imported.text
        assert (cache / "door_copy" / "model.onnx").is_file()
        assert client.post("/api/classification/import?name=door_copy", content=archive.content).status_code == 400
        assert client.post("/api/classification/import", content=b"not a zip").status_code == 400

        assert client.get("/api/classification/nope/dataset").status_code == 404
        for bad in ("..%2F..%2Fetc", "a.b", "x%00"):
            assert client.get(f"/api/classification/{bad}/dataset").status_code in (400, 404)
    finally:
        hub.close()
        db.close()
        shutil.rmtree(clips / "door", ignore_errors=True)
