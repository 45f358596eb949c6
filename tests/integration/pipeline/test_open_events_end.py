"""No event or review item stays open: after a clean stop, after a camera process is
killed (its tracker is gone; a new one starts), and after the main process is killed with
SIGKILL (the next start ends what the dead run left open, at the last time it was seen).
The real pipeline on a generated video with a person and a cat walking across, looped."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from roost.app import Supervisor
from roost.config import validate_raw
from roost.paths import model_cache_dir

from scene_video import FPS, HEIGHT, WIDTH, write_scene

LOOP = "-stream_loop -1 -re"


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def raw_config(video: Path, mqtt_port: int | None) -> dict[str, Any]:
    return {
        "mqtt": {"host": "127.0.0.1", "port": mqtt_port} if mqtt_port else {"enabled": False},
        "api": {"enabled": False}, "auth": {"enabled": False},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "objects": {"track": ["person", "cat"]},
        "cameras": {"yard": {
            "ffmpeg": {"inputs": [{"path": str(video), "roles": ["detect"], "input_args": LOOP}]},
            "detect": {"width": WIDTH, "height": HEIGHT, "fps": FPS}}},
    }


def rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    """(id, start_time, end_time, last_seen) of every row; none while the schema is not made yet."""
    try:
        with sqlite3.connect(db, timeout=30) as connection:
            return connection.execute(f"select id, start_time, end_time, last_seen from {table}").fetchall()
    except sqlite3.OperationalError:
        return []


def open_rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    return [r for r in rows(db, table) if r[2] is None]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scene(tmp_path_factory.mktemp("scene") / "yard.mp4")


def test_clean_stop_ends_every_event_and_review_item_and_tells_mqtt(scene: Path, mosquitto: Any,
                                                                     tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"feed-{time.monotonic_ns()}")
    client.on_connect = lambda c, *_: c.subscribe("frigate/events", qos=1)
    client.on_message = lambda _c, _u, m: received.append(json.loads(m.payload))
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    media = tmp_path / "media"
    supervisor = Supervisor(validate_raw(raw_config(scene, mosquitto.port)), media, model_cache_dir())
    supervisor.start()
    try:
        db = media / "roost.db"
        wait_until(lambda: open_rows(db, "event") and open_rows(db, "reviewsegment"), 90,
                   "an event and a review item in progress")
    finally:
        supervisor.stop()
    time.sleep(1.0)
    client.loop_stop()
    client.disconnect()
    events, reviews = rows(db, "event"), rows(db, "reviewsegment")
    assert events and not [r for r in events if r[2] is None], events
    assert reviews and not [r for r in reviews if r[2] is None], reviews
    for _id, start, end, _seen in events:
        assert start <= end <= time.time()
    ended = {m["after"]["id"] for m in received if m["type"] == "end"}
    assert {r[0] for r in events} <= ended  # Home Assistant saw every one end
    assert all(m["after"]["active"] is False for m in received if m["type"] == "end")


def test_killed_camera_process_ends_its_events_where_last_seen_and_the_camera_goes_on(
        scene: Path, tmp_path: Path) -> None:
    media = tmp_path / "media"
    supervisor = Supervisor(validate_raw(raw_config(scene, None)), media, model_cache_dir())
    supervisor.start()
    db = media / "roost.db"
    try:
        assert supervisor.pipeline is not None and supervisor.handler is not None
        before = wait_until(lambda: open_rows(db, "event"), 90, "an event in progress")
        seen = {e.id: e.frame_time for e in supervisor.handler.processor.active.values()}
        killed = supervisor.pipeline.cameras["yard"].camera.pid
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and {r[0] for r in before} & {r[0] for r in open_rows(db, "event")}:
            supervisor.pipeline.restart_crashed()  # what `Supervisor.wait` does about once a second
            time.sleep(0.5)
        stale = {r[0] for r in before} & {r[0] for r in open_rows(db, "event")}
        assert not stale, "events of the killed camera process are still open"
        ended = {r[0]: r for r in rows(db, "event")}
        for event_id, start, *_ in before:
            assert start <= ended[event_id][2] <= time.time()
            if event_id in seen:  # ended where the main process last saw it (not 'now')
                assert ended[event_id][2] >= seen[event_id] - 0.01
        supervisor.pipeline.restart_crashed()  # its events may end before the supervisor's next look
        camera = supervisor.pipeline.cameras["yard"].camera
        assert camera.pid != killed and camera.is_alive()  # a new camera process took over
        # and it tracks again (a camera killed while waiting for the detector once hung the pool)
        wait_until(lambda: [r for r in open_rows(db, "event") if r[0] not in ended], 120, "a new event")
    finally:
        supervisor.stop()


def test_after_kill_9_the_next_start_ends_what_was_left_open_at_its_last_sighting(scene: Path,
                                                                                   tmp_path: Path) -> None:
    media = tmp_path / "media"
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(raw_config(scene, None)))
    env = {**os.environ, "ROOST_MODEL_CACHE": str(model_cache_dir())}
    command = [sys.executable, "-m", "roost.cli", "serve", "-c", str(config), "--media-dir", str(media)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    db = media / "roost.db"
    try:
        # an event that has been seen for a while (its last_seen was written)
        seen = wait_until(lambda: [r for r in open_rows(db, "event") if r[3] is not None and r[3] - r[1] > 2.5]
                          if db.exists() else None, 120, "an event in progress with a last sighting")
        time.sleep(1.0)
        children = psutil.Process(first.pid).children(recursive=True)
        os.kill(first.pid, signal.SIGKILL)  # no stop path runs at all
        killed_at = time.time()
        first.wait(10)
    finally:
        try:
            os.killpg(first.pid, signal.SIGKILL)  # its orphaned capture/camera/detector processes
        except ProcessLookupError:
            pass
    psutil.wait_procs(children, timeout=10)
    left_open = open_rows(db, "event")
    assert {r[0] for r in seen} <= {r[0] for r in left_open}
    last_seen = {r[0]: r[3] for r in left_open}

    second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    output = ""
    try:
        assert second.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = second.stdout.readline()
            output += line
            if "Roost started" in line or second.poll() is not None:
                break
        assert "Roost started" in output, output
        assert "left open by the previous run" in output, output
        ended = {r[0]: r for r in rows(db, "event")}
        for event_id, seen_at in last_seen.items():
            end = ended[event_id][2]
            start = ended[event_id][1]
            assert end is not None, event_id
            assert end == pytest.approx(seen_at if seen_at is not None else start)
            assert start <= end <= killed_at
        for review in rows(db, "reviewsegment"):
            if review[0] not in {r[0] for r in open_rows(db, "reviewsegment")}:
                assert review[2] <= killed_at + 1 or review[1] > killed_at
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            second.communicate()
    assert second.returncode == 0, output
    assert not open_rows(db, "event") and not open_rows(db, "reviewsegment")  # the clean stop ended the rest
