"""Run-time classification with a small colour model the test builds: state verification
and publishing, attempts saved, hot reload, object sub labels; and the whole pipeline on a
generated video whose crop turns red then blue, published on a real Mosquitto."""

from __future__ import annotations

import copy
import dataclasses
import queue
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

with warnings.catch_warnings():  # starlette's note about httpx, not ours
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from roost.api import ApiContext, create_app
from roost.app import Supervisor
from roost.classify.messages import ObjectClassification, StateClassification
from roost.classify.runtime import ObjectClassifier, StateClassifier
from roost.config import validate_raw
from roost.events.from_tracked import event_from_tracked
from roost.events.processor import EventProcessor
from roost.ffmpeg import ffmpeg_binary
from roost.hub import Hub
from roost.paths import model_cache_dir
from roost.store import Database, database_url
from roost.store.models import EventRow
from roost.track.tracked_object import TrackedObject

from colour_model import write_colour_model

RED, BLUE = (0, 0, 255), (255, 0, 0)  # BGR


RAW_CONFIG: dict[str, Any] = {
    "cameras": {"front": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
                          "detect": {"width": 320, "height": 240}}},
    "objects": {"track": ["cat"]},
    "classification": {"custom": {
        "door": {"state_config": {"interval": 1, "cameras": {"front": {"crop": [0, 0, 0.5, 0.5]}}}},
        "pets": {"object_config": {"objects": ["cat"]}, "save_attempts": 2}}},
}


def config(**camera: Any) -> Any:
    raw = copy.deepcopy(RAW_CONFIG)
    raw["cameras"]["front"].update(camera)
    return validate_raw(raw).config


def painted(colour: tuple[int, int, int]) -> np.ndarray:
    frame = np.full((240, 320, 3), 90, np.uint8)
    frame[:120, :160] = colour
    return frame


def drain(messages: "queue.Queue[Any]", kind: type) -> list[Any]:
    time.sleep(0.2)
    found = []
    while not messages.empty():
        item = messages.get()
        if isinstance(item, kind):
            found.append(item)
    return found


def test_state_classifier_verifies_publishes_and_reloads(tmp_path: Path) -> None:
    cfg = config()
    hub, messages = Hub(), queue.Queue()  # type: ignore[var-annotated]
    hub.subscribe("test", messages.put)
    cache, clips = tmp_path / "cache", tmp_path / "clips"
    door = StateClassifier("door", cfg.classification.custom["door"], cfg.cameras, cache, clips, hub)
    frame = painted(RED)
    door.on_frame("front", 100.0, lambda _c: frame, [])
    assert door.slot.status == "untrained" and door.current_states() == {"front": None}  # no model: no run
    write_colour_model(cache, "door")
    time.sleep(1.1)  # the slot looks for a new model at most once a second
    for second in range(3):
        door.on_frame("front", 101.0 + second, lambda _c: frame, [])
    assert [m.state for m in drain(messages, StateClassification)] == ["red"]
    frame = painted(BLUE)
    door.on_frame("front", 104.0, lambda _c: frame, [])
    assert door.states["front"].verification.pending == "blue"
    door.on_frame("front", 104.6, lambda _c: frame, [])  # pending: re-checked after 0.5 s
    door.on_frame("front", 105.2, lambda _c: frame, [])
    assert [m.state for m in drain(messages, StateClassification)] == ["blue"]
    saved = sorted(p.name for p in (clips / "door" / "train").glob("*.webp"))
    assert saved[0].startswith("none-none-101.000000-red-") and any("-blue-" in n for n in saved)
    # a retrained model is picked up without losing the verified state
    write_colour_model(cache, "door")
    time.sleep(1.1)
    door.on_frame("front", 106.5, lambda _c: frame, [])
    assert door.current_states() == {"front": "blue"}
    hub.close()


def test_object_classifier_assigns_sub_label_once_consensus(tmp_path: Path) -> None:
    cfg = config()
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    hub, messages = Hub(), queue.Queue()  # type: ignore[var-annotated]
    hub.subscribe("test", messages.put)
    processor = EventProcessor(cfg, db, hub)
    cache = tmp_path / "cache"
    write_colour_model(cache, "pets")
    pets = ObjectClassifier("pets", cfg.classification.custom["pets"], cache, tmp_path / "clips", hub, processor)
    cat = TrackedObject(id="1700000000.000000-cat001", camera="front", label="cat", frame_time=1.0, start_time=1.0,
                        score=0.9, score_history=(0.9,), computed_score=0.9, top_score=0.9, false_positive=False,
                        box=(20, 20, 100, 100), area=6400, ratio=1.0, region=(0, 0, 320, 240),  # type: ignore[arg-type]
                        velocity=(0, 0, 0, 0), current_zones=(), entered_zones=(), stationary=False,
                        motionless_count=0, position_changes=0, disappeared=0, best=None)
    processor.on_objects("front", [event_from_tracked(cat)], [])
    frame = painted(RED)
    for step in range(2):
        pets.on_objects("front", 2.0 + step, [dataclasses.replace(cat, frame_time=2.0 + step)], [], lambda _c: frame)
    assert not drain(messages, ObjectClassification)  # two attempts never assign
    pets.on_objects("front", 4.0, [cat], [], lambda _c: frame)
    assigned = drain(messages, ObjectClassification)
    assert [(m.kind, m.value) for m in assigned] == [("sub_label", "red")]
    assert assigned[0].payload()["type"] == "classification" and assigned[0].payload()["sub_label"] == "red"
    db.writer.submit(lambda s: None).result()
    with db.read() as session:
        row = session.get(EventRow, cat.id)
    assert row is not None and row.sub_label == "red" and (row.sub_label_score or 0) > 0.99
    # and as Home Assistant reads it over HTTP: the event and the sub_labels filter
    context = ApiContext(loaded=validate_raw(RAW_CONFIG), database=db, hub=hub, controls={}, media_dir=tmp_path)
    with TestClient(create_app(context, authenticated=False)) as client:
        event = client.get(f"/api/events/{cat.id}").json()
        assert event["sub_label"] == "red" and event["data"]["sub_label_score"] > 0.99
        assert [e["id"] for e in client.get("/api/events", params={"sub_labels": "red"}).json()] == [cat.id]
        assert client.get("/api/events", params={"sub_labels": "blue"}).json() == []
    assert len(list((tmp_path / "clips" / "pets" / "train").glob("1700000000.000000-cat001-*.webp"))) == 2  # cap
    hub.close()
    db.close()


def write_red_then_blue(path: Path) -> Path:
    """8 s red, then blue, in the top-left quarter of a 320x240 picture, 5 fps."""
    frames = [painted(RED if i < 40 else BLUE) for i in range(90)]
    process = subprocess.Popen([ffmpeg_binary(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
                                "-s", "320x240", "-r", "5", "-i", "pipe:", "-c:v", "libx264", "-preset", "veryfast",
                                "-pix_fmt", "yuv420p", str(path)], stdin=subprocess.PIPE)
    assert process.stdin is not None
    for frame in frames:
        process.stdin.write(frame.tobytes())
    process.stdin.close()
    assert process.wait(60) == 0
    return path


def test_pipeline_publishes_state_changes_on_mqtt(mosquitto: Any, tmp_path: Path) -> None:
    video = write_red_then_blue(tmp_path / "door.mp4")
    cache = tmp_path / "cache"
    (cache / "detector").mkdir(parents=True)
    for item in (model_cache_dir() / "detector").iterdir():
        (cache / "detector" / item.name).symlink_to(item.resolve())
    write_colour_model(cache, "door")
    loaded = validate_raw({
        "mqtt": {"host": "127.0.0.1", "port": mosquitto.port}, "api": {"enabled": False}, "auth": {"enabled": False},
        "cameras": {"front": {"ffmpeg": {"inputs": [{"path": str(video), "roles": ["detect"], "input_args": "-re"}]},
                              "detect": {"width": 320, "height": 240, "fps": 5}}},
        "classification": {"custom": {"door": {"state_config": {"interval": 1, "cameras": {"front": {"crop": [0, 0, 160, 120]}}}}}},
    })
    states: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="state-listener")
    client.on_connect = lambda c, *_: c.subscribe("frigate/front/classification/door", qos=1)
    client.on_message = lambda _c, _u, m: states.append(m.payload)
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    supervisor = Supervisor(loaded, tmp_path / "media", cache)
    supervisor.start()
    try:
        deadline = time.monotonic() + 60
        while states[-1:] != [b"blue"] and time.monotonic() < deadline:
            time.sleep(0.3)
        assert states == [b"red", b"blue"], states
    finally:
        supervisor.stop()
        client.loop_stop()
    late: "queue.Queue[mqtt.MQTTMessage]" = queue.Queue()
    again = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="late-listener")
    again.on_connect = lambda c, *_: c.subscribe("frigate/front/classification/door", qos=1)
    again.on_message = lambda _c, _u, m: late.put(m)
    again.connect("127.0.0.1", mosquitto.port)
    again.loop_start()
    message = late.get(timeout=5)
    assert message.payload == b"blue" and message.retain  # retained: seen after a restart
    again.loop_stop()
