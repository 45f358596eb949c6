"""kill -9 of every kind of Roost child at random moments over a real pipeline (a file
camera that records): frames and detections resume within 10 s each time, no event is lost
or duplicated, every event ends, and at the stop no child or shared-memory segment is left."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import psutil
from paho.mqtt.enums import CallbackAPIVersion

from roost.app import Supervisor
from roost.config import validate_raw
from roost.paths import model_cache_dir

from resilience_harness import (
    KINDS, RESUME_LIMIT_S, EventLedger, event_rows, kill_and_measure, kill_plan, raw_config, roost_children, shm_of,
)

#: Fault injection over minutes of running Roost: the slow suite (`make test` runs it after the default one).
pytestmark = pytest.mark.slow

KILLS_PER_KIND = 2


class Feed:
    """`frigate/events` as Home Assistant sees it: event id → change types, in order."""

    def __init__(self, port: int) -> None:
        self.changes: dict[str, list[str]] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"feed-{time.monotonic_ns()}")
        self.client.on_connect = lambda c, *_: c.subscribe("frigate/events", qos=1)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        change = json.loads(message.payload)
        self.changes.setdefault(change["after"]["id"], []).append(change["type"])

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_every_child_killed_at_random_resumes_within_10_s_losing_no_event(
        busy_scene: Path, mosquitto: Any, tmp_path: Path) -> None:
    feed = Feed(mosquitto.port)
    before = {p.pid for p in roost_children(os.getpid())}  # the broker
    supervisor = Supervisor(validate_raw(raw_config(busy_scene, mosquitto.port)), tmp_path / "media",
                            model_cache_dir())
    ledger = EventLedger()
    ledger.attach(supervisor)
    supervisor.start()
    rng = random.Random(14)
    resume: dict[str, list[float | None]] = {kind: [] for kind in KINDS}
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (supervisor.handler and supervisor.handler.processor.active):
            supervisor.pipeline.restart_crashed()  # type: ignore[union-attr]
            time.sleep(0.5)
        assert supervisor.handler is not None and supervisor.handler.processor.active, "no event within 60 s"
        for kind in kill_plan(KILLS_PER_KIND, seed=14):
            time.sleep(rng.uniform(0.5, 3.0))  # a random moment: mid-frame, mid-inference, mid-segment
            resume[kind].append(kill_and_measure(supervisor, kind, log=print))
        children = [p for p in roost_children(os.getpid()) if p.pid not in before]
        stats = supervisor.stats()
        assert not stats["cameras"]["yard"]["stalled"] and not any(d["stalled"] for d in stats["detectors"].values())
    finally:
        supervisor.stop()
    time.sleep(1.0)  # the last MQTT messages
    feed.close()
    print("resume seconds per kind:", resume)
    for kind, times in resume.items():
        assert len(times) == KILLS_PER_KIND
        assert all(t is not None and t <= RESUME_LIMIT_S for t in times), (kind, times)
    rows = event_rows(supervisor)
    assert len(rows) >= 4, "too few events to tell anything"
    assert ledger.problems(rows) == []
    # Home Assistant saw each event start once and end once
    assert {i: k for i, k in feed.changes.items() if k.count("new") != 1 or k.count("end") != 1} == {}
    assert set(feed.changes) == set(rows)
    gone, alive = psutil.wait_procs([c for c in children if c.is_running()], timeout=5)
    left = [(p.pid, p.cmdline()) for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], "children left after the stop"
    assert shm_of(os.getpid()) == []
