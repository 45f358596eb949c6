"""The wizard's example collection over HTTP: state examples from review segments and their
recordings (a generated video with two scenes), object examples from event snapshots."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient

from roost.api.app import create_app
from roost.api.context import ApiContext
from roost.api.examples import examples_router
from roost.config import validate_raw
from roost.controls import CameraControls
from roost.ffmpeg import ffmpeg_binary
from roost.hub import Hub
from roost.store import Database, database_url
from roost.store.models import EventRow, RecordingRow, ReviewSegmentRow

CONFIG = {"objects": {"track": ["person", "cat"]},
          "cameras": {"front": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
                                "detect": {"width": 320, "height": 240}}}}
START = 1_700_000_000.0


def two_scene_video(path: Path) -> Path:
    """20 s at 5 fps: red for 10 s, then green, in the top-left quarter."""
    process = subprocess.Popen([ffmpeg_binary(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
                                "-s", "320x240", "-r", "5", "-i", "pipe:", "-c:v", "libx264", "-g", "5",
                                "-pix_fmt", "yuv420p", str(path)], stdin=subprocess.PIPE)
    assert process.stdin is not None
    for index in range(100):
        frame = np.full((240, 320, 3), 60, np.uint8)
        frame[:120, :160] = (0, 0, 255) if index < 50 else (0, 255, 0)
        frame[200:, (index * 3) % 300:(index * 3) % 300 + 20] = 255  # something moving
        process.stdin.write(frame.tobytes())
    process.stdin.close()
    assert process.wait(60) == 0
    return path


def wait_done(client: TestClient, model: str) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress = client.get(f"/api/classification/{model}/examples").json()
        if progress["state"] != "running":
            return progress  # type: ignore[no-any-return]
        time.sleep(0.3)
    raise AssertionError("example collection did not finish")


def test_generate_examples(tmp_path: Path) -> None:
    media = tmp_path / "media"
    clips = media / "clips"
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    video = two_scene_video(tmp_path / "segment.mp4")

    def seed(session: object) -> None:
        add = session.add  # type: ignore[attr-defined]
        add(RecordingRow(id="r1", camera="front", path=str(video), start_time=START, end_time=START + 20, duration=20.0))
        for index, (begin, end) in enumerate(((0, 4), (4, 8), (11, 15), (15, 19))):  # two in each scene
            add(ReviewSegmentRow(id=f"v{index}", camera="front", start_time=START + begin, end_time=START + end,
                                 severity="detection", data={}))
        for index in range(6):
            event_id = f"{START + index:.6f}-cat{index:03d}"
            picture = np.full((240, 320, 3), 40 * index, np.uint8)
            picture[60:180, 100:220] = (255 - 30 * index, 30 * index, 128)
            clips.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(clips / f"front-{event_id}-clean.png"), picture)
            add(EventRow(id=event_id, label="cat", camera="front", start_time=START + index, end_time=START + index + 5,
                         top_score=0.9 - index / 100, has_snapshot=True, box=[100, 60, 220, 180], zones=[], data={}))

    db.write(seed)
    hub = Hub()
    loaded = validate_raw(CONFIG)
    context = ApiContext(loaded, db, hub, {n: CameraControls.from_config(n, c) for n, c in loaded.config.cameras.items()},
                         media, extra_routers=[examples_router()])
    client = TestClient(create_app(context, authenticated=False))
    try:
        started = client.post("/api/classification/generate_examples/state",
                              json={"model_name": "door", "cameras": {"front": [0, 0, 0.5, 0.5]}})
        assert started.status_code == 202, started.text
        progress = wait_done(client, "door")
        assert progress["state"] == "complete" and progress["files"], progress
        colours = set()
        for name in progress["files"]:  # type: ignore[union-attr]
            image = cv2.imread(str(clips / "door" / "train" / name))
            b, g, r = image.reshape(-1, 3).mean(axis=0)
            colours.add("red" if r > g else "green")
        assert colours == {"red", "green"}  # both scenes are represented

        started = client.post("/api/classification/generate_examples/object", json={"model_name": "pets", "label": "cat"})
        assert started.status_code == 202
        progress = wait_done(client, "pets")
        assert progress["state"] == "complete" and len(progress["files"]) == 6  # type: ignore[arg-type]

        assert client.post("/api/classification/generate_examples/object", json={"model_name": "x", "label": "zebra"}).status_code == 400
        assert client.post("/api/classification/generate_examples/state",
                           json={"model_name": "../x", "cameras": {"front": [0, 0, 1, 1]}}).status_code == 400
        assert client.post("/api/classification/generate_examples/state",
                           json={"model_name": "x", "cameras": {"back": [0, 0, 1, 1]}}).status_code == 404
    finally:
        hub.close()
        db.close()


def test_state_examples_fall_back_to_recent_recordings_and_fail_with_a_reason(tmp_path: Path) -> None:
    """A busy scene (the demo's plaza): its one review item never ends, so there is no
    finished segment; examples come from the last hours of recordings instead. With no
    recordings either, the collection ends `failed` and says why."""
    media = tmp_path / "media"
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    video = two_scene_video(tmp_path / "segment.mp4")
    recent = time.time() - 3600

    def seed(session: object) -> None:
        add = session.add  # type: ignore[attr-defined]
        add(RecordingRow(id="r1", camera="front", path=str(video), start_time=recent, end_time=recent + 20,
                         duration=20.0))
        add(ReviewSegmentRow(id="open", camera="front", start_time=recent, end_time=None, severity="alert", data={}))

    db.write(seed)
    hub = Hub()
    config = {**CONFIG, "cameras": {**CONFIG["cameras"], "side": CONFIG["cameras"]["front"]}}  # type: ignore[dict-item]
    loaded = validate_raw(config)
    context = ApiContext(loaded, db, hub, {n: CameraControls.from_config(n, c) for n, c in loaded.config.cameras.items()},
                         media, extra_routers=[examples_router()])
    client = TestClient(create_app(context, authenticated=False))
    try:
        assert client.post("/api/classification/generate_examples/state",
                           json={"model_name": "door", "cameras": {"front": [0, 0, 0.5, 0.5]}}).status_code == 202
        progress = wait_done(client, "door")
        assert progress["state"] == "complete", progress
        colours = set()
        for name in progress["files"]:  # type: ignore[union-attr]
            b, g, r = cv2.imread(str(media / "clips" / "door" / "train" / name)).reshape(-1, 3).mean(axis=0)
            colours.add("red" if r > g else "green")
        assert colours == {"red", "green"}  # spread over the whole recording, both scenes

        assert client.post("/api/classification/generate_examples/state",
                           json={"model_name": "gate", "cameras": {"side": [0, 0, 0.5, 0.5]}}).status_code == 202
        progress = wait_done(client, "gate")
        assert progress["state"] == "failed" and progress["files"] == []
        assert "no finished review segments and no recordings" in str(progress["error"])
    finally:
        hub.close()
        db.close()
