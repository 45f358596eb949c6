"""The real pipeline on a generated video served as an RTSP camera: camera → restream →
capture (ffmpeg) → motion → regions → detector pool (the default YOLOv3-tiny) → tracker →
events in SQLite and on a real Mosquitto."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from roost.app import Supervisor
from roost.config import validate_raw
from roost.paths import model_cache_dir
from roost.restream.simulated import SimulatedCamera, SimulatedCameras, free_port
from roost.store.models import EventRow

from scene_video import FPS, HEIGHT, WIDTH, write_scene


#: Seconds of empty background before the scene, so the objects of an earlier loop end first.
SCENE_LEAD_IN_S = 5


class Feed:
    """Every MQTT message under `frigate/#`, in arrival order."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.scene_started = 0.0  # epoch s when the camera's clip started over
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"feed-{time.monotonic_ns()}")
        self.client.on_connect = lambda c, *_: c.subscribe("frigate/#", qos=1)
        self.client.on_message = lambda _c, _u, m: self.messages.append((m.topic, m.payload))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def payloads(self, topic: str) -> list[bytes]:
        return [p for t, p in list(self.messages) if t == topic]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def make_config(camera_url: str, port: int) -> Any:
    return validate_raw({
        "mqtt": {"host": "127.0.0.1", "port": port, "stats_interval": 15},
        "go2rtc": {"rtsp": {"listen": f"127.0.0.1:{free_port()}"}},
        "api": {"enabled": False}, "auth": {"enabled": False},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "objects": {"track": ["person", "cat"]},
        "snapshots": {"enabled": True},
        "cameras": {"yard": {
            "ffmpeg": {"inputs": [{"path": camera_url, "roles": ["detect"]}]},
            "detect": {"width": WIDTH, "height": HEIGHT, "fps": FPS},
            "zones": {"left": {"coordinates": f"0,0,{WIDTH // 2},0,{WIDTH // 2},{HEIGHT},0,{HEIGHT}"},
                      "right": {"coordinates": f"{WIDTH // 2},0,{WIDTH},0,{WIDTH},{HEIGHT},{WIDTH // 2},{HEIGHT}"}},
        }},
    })


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedCameras]:
    """The scene as the RTSP camera `yard`, looping, after a lead-in of empty background."""
    clip = write_scene(tmp_path_factory.mktemp("scene") / "yard.mp4", lead_in_s=SCENE_LEAD_IN_S)
    with SimulatedCameras([SimulatedCamera("yard", clip=clip)]) as cameras:
        yield cameras


@pytest.fixture
def running(scene: SimulatedCameras, mosquitto: Any, tmp_path: Path) -> Iterator[tuple[Supervisor, Feed]]:
    feed = Feed(mosquitto.port)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    supervisor = Supervisor(make_config(scene.url("yard"), mosquitto.port), tmp_path / "media", model_cache_dir())
    supervisor.start()
    assert supervisor.pipeline is not None and supervisor.restream.child is not None
    # Once Roost sees the camera, its clip starts over, so Roost watches the scene from its first frame.
    wait_until(lambda: supervisor.pipeline.camera_stats()["yard"].camera_fps > 0, 30, "frames from the camera")
    scene.restart("yard")
    # Objects seen before the clip started over are gone after half the lead-in; the scene's
    # own objects appear only after it.
    time.sleep(SCENE_LEAD_IN_S / 2)
    feed.scene_started = time.time()
    try:
        yield supervisor, feed
    finally:
        camera = {p.pid for p in psutil.Process(scene.child.pid).children(recursive=True)} if scene.child.pid else set()
        children = [p for p in psutil.Process().children(recursive=True) if p.pid not in before | camera
                    and "resource_tracker" not in " ".join(p.cmdline())]
        started = time.monotonic()
        supervisor.stop()
        assert time.monotonic() - started < 10
        gone, alive = psutil.wait_procs([c for c in children if c.is_running()], timeout=5)
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], "orphaned child processes"
        feed.close()


def ended_events(supervisor: Supervisor, after: float = 0.0) -> dict[str, EventRow]:
    """Ended events that started after `after` (objects seen before the clip started over
    end together when it does)."""
    assert supervisor.database is not None
    with supervisor.database.read() as session:
        rows = session.scalars(select(EventRow).where(EventRow.end_time.is_not(None), EventRow.start_time > after)
                               .order_by(EventRow.start_time)).all()
    return {row.label: row for row in reversed(rows)}  # the first of each label


def test_person_and_cat_become_events_with_zones_in_order(running: tuple[Supervisor, Feed]) -> None:
    supervisor, feed = running
    events = wait_until(lambda: (e := ended_events(supervisor, feed.scene_started)) and {"person", "cat"} <= set(e) and e,
                        90, "ended person and cat events")
    person, cat = events["person"], events["cat"]
    assert person.zones == ["left", "right"], person.zones  # walked left → right
    assert cat.zones == ["right", "left"], cat.zones  # walked right → left
    for row, (min_h, max_h) in ((person, (180, 320)), (cat, (100, 200))):
        assert row.box is not None and row.end_time is not None
        height = row.box[3] - row.box[1]
        assert min_h <= height <= max_h, (row.label, row.box)
        assert row.top_score is not None and row.top_score >= 0.6
        assert 5.0 <= row.end_time - row.start_time <= 12.0, (row.label, row.start_time, row.end_time)
        assert row.has_snapshot and (supervisor.media_dir / "clips" / f"yard-{row.id}.jpg").is_file()
    # the person leaves the picture at 9 s, the cat at 10 s
    assert cat.end_time > person.end_time  # type: ignore[operator]

    changes = [json.loads(p) for p in feed.payloads("frigate/events")]
    zone_updates = 0
    for row in (person, cat):
        mine = [c for c in changes if c["after"]["id"] == row.id]
        assert [c["type"] for c in mine][0] == "new" and mine[-1]["type"] == "end"
        assert all(c["before"]["id"] == row.id for c in mine)
        assert mine[-1]["after"]["end_time"] == pytest.approx(row.end_time)
        assert mine[-1]["after"]["entered_zones"] == row.zones
        zone_updates += sum(c["type"] == "update" and c["before"]["entered_zones"] != c["after"]["entered_zones"]
                            for c in mine)
    # entering a zone is published as an update (an object may also enter zones while it is
    # still a false positive; then its first message already carries them)
    assert zone_updates >= 1
    assert b"1" in feed.payloads("frigate/yard/person")
    for topic in ("frigate/yard/person", "frigate/yard/cat", "frigate/right/cat", "frigate/left/person"):
        wait_until(lambda: feed.payloads(topic)[-1:] == [b"0"], 5, f"{topic} back to 0")
    assert feed.payloads("frigate/yard/person/snapshot")[-1][:2] == b"\xff\xd8"


def test_killed_ffmpeg_restarts_and_detect_set_off_stops_detection(running: tuple[Supervisor, Feed]) -> None:
    supervisor, feed = running
    assert supervisor.pipeline is not None
    stats = lambda: supervisor.pipeline.camera_stats()["yard"]  # noqa: E731
    first = wait_until(lambda: stats().ffmpeg_pid, 30, "ffmpeg to start")
    wait_until(lambda: stats().camera_fps > 0, 30, "frames to flow")
    capture = supervisor.pipeline.cameras["yard"].capture_stats
    frames_before = capture.frames.value
    os.kill(first, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: stats().ffmpeg_pid not in (0, None, first) and capture.frames.value > frames_before + 3,
               10, "frames from a restarted ffmpeg")
    assert time.monotonic() - killed_at < 10
    assert capture.restarts.value >= 1

    wait_until(lambda: stats().detection_fps > 0, 30, "detection to run")
    feed.client.publish("frigate/yard/detect/set", "OFF", qos=1)
    wait_until(lambda: b"OFF" in feed.payloads("frigate/yard/detect/state"), 10, "detect/state OFF")
    wait_until(lambda: stats().detection_fps == 0, 15, "detection to stop")
    assert not supervisor.controls["yard"].is_on("detect")
    assert stats().camera_fps > 0  # frames still flow, motion still runs
