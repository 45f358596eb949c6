"""MqttPublisher against a real Mosquitto: availability, the events feed and counts from the
event processor's hub messages, `/set` commands, retained state and reconnection."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from roost.classify.messages import StateClassification
from roost.config import validate_raw
from roost.config.root import RoostConfig
from roost.controls import CameraControls
from roost.events.event import BestSnapshot, Event
from roost.events.processor import EventProcessor
from roost.events.review import ReviewChange, ReviewItem
from roost.hub import Hub
from roost.publish import MqttPublisher, TrackedObjectUpdate
from roost.store import Database, database_url
from roost.store.models import EventRow


def make_config(port: int, **mqtt: Any) -> RoostConfig:
    return validate_raw({
        "mqtt": {"host": "127.0.0.1", "port": port, **mqtt},
        "cameras": {"front": {
            "ffmpeg": {"inputs": [{"path": "x", "roles": ["detect", "record"]}]},
            "detect": {"width": 640, "height": 480},
            "record": {"enabled": True},
            "zones": {"yard": {"coordinates": "0,0,640,0,640,480,0,480"}},
        }},
    }).config


def person(number: int = 0, **changes: Any) -> Event:
    start = 1700000000.0 + number
    base = Event(id=f"{start:.6f}-abc{number:03d}", camera="front", label="person", frame_time=start + 1,
                 start_time=start, end_time=None, score=0.8, top_score=0.8, false_positive=False,
                 box=(10, 10, 50, 100), area=3600, ratio=0.4, region=(0, 0, 320, 320),
                 current_zones=("yard",), entered_zones=("yard",))
    return dataclasses.replace(base, **changes)


@dataclass
class Running:
    config: RoostConfig
    hub: Hub
    controls: dict[str, CameraControls]
    publisher: MqttPublisher
    database: Database
    processor: EventProcessor


def start_running(port: int, tmp_path: Path) -> Running:
    config = make_config(port)
    hub = Hub()
    controls = {name: CameraControls.from_config(name, cam) for name, cam in config.cameras.items()}
    database = Database(database_url(None, None, tmp_path))
    database.migrate()
    publisher = MqttPublisher(config, hub, controls, stats=lambda: {"service": {"uptime": 1}})
    publisher.start()
    assert publisher.connected.wait(10)
    return Running(config, hub, controls, publisher, database, EventProcessor(config, database, hub))


def stop_running(running: Running) -> None:
    running.publisher.stop()
    running.hub.close()
    running.database.close()


@pytest.fixture
def running(mosquitto: Any, tmp_path: Path) -> Iterator[Running]:
    started = start_running(mosquitto.port, tmp_path)
    yield started
    stop_running(started)


def test_available_and_control_states_are_retained(running: Running, mosquitto: Any,
                                                   listen: Callable[..., Any]) -> None:
    listener = listen(mosquitto.port)  # connects after the publisher: sees retained copies only
    assert listener.wait_for("available") == b"online"
    assert listener.wait_for("front/detect/state") == b"ON"
    assert listener.wait_for("front/recordings/state") == b"ON"
    assert listener.wait_for("front/motion_threshold/state") == b"30"
    assert listener.wait_for("front/review_alerts/state") == b"ON"
    late = listen(mosquitto.port)  # after the publisher's burst: only retained copies arrive
    late.wait_for("front/enabled/state")
    states = [(topic, retain) for topic, _, retain in late.drain() if topic.endswith("/state")]
    assert len(states) == 12 and all(retain for _, retain in states)  # 10 controls + 2 descriptions


def test_events_feed_and_counts_follow_the_event_life_cycle(running: Running, mosquitto: Any,
                                                            listen: Callable[..., Any]) -> None:
    listener = listen(mosquitto.port)
    listener.wait_for("available")
    running.processor.on_objects("front", [person()], [])
    running.processor.on_objects("front", [person(current_zones=(), score=0.9, top_score=0.9)], [])
    running.processor.on_objects("front", [], [person(end_time=1700000009.0, top_score=0.9)])

    feed = [json.loads(listener.wait_for("events", lambda p, t=t: json.loads(p)["type"] == t))
            for t in ("new", "update", "end")]
    assert feed[0]["before"]["id"] == feed[0]["after"]["id"] == person().id
    assert feed[1]["before"]["current_zones"] == ["yard"] and feed[1]["after"]["current_zones"] == []
    assert feed[1]["after"]["top_score"] == 0.9
    assert feed[2]["before"]["end_time"] is None and feed[2]["after"]["end_time"] == 1700000009.0
    assert feed[2]["after"]["sub_label"] is None and feed[2]["after"]["thumbnail"] is None

    assert listener.wait_for("front/person", lambda p: p == b"1")
    assert listener.wait_for("yard/person", lambda p: p == b"1")
    assert listener.wait_for("front/all", lambda p: p == b"1")
    assert listener.wait_for("front/person/active", lambda p: p == b"1")
    assert listener.wait_for("front/person", lambda p: p == b"0")
    assert listener.wait_for("yard/all", lambda p: p == b"0")


def test_detect_set_off_switches_detection_and_state_follows(running: Running, mosquitto: Any,
                                                              listen: Callable[..., Any]) -> None:
    listener = listen(mosquitto.port)
    listener.wait_for("front/enabled/state")
    listener.client.publish("frigate/front/detect/set", "OFF", qos=1)
    assert listener.wait_for("front/detect/state", lambda p: p == b"OFF")
    assert not running.controls["front"].is_on("detect")

    listener.client.publish("frigate/front/motion_threshold/set", "55", qos=1)
    assert listener.wait_for("front/motion_threshold/state", lambda p: p == b"55")
    assert running.controls["front"].get("motion_threshold") == 55

    listener.client.publish("frigate/front/motion/set", "OFF", qos=1)  # allowed now detect is off
    assert listener.wait_for("front/motion/state", lambda p: p == b"OFF")
    mark = listener.mark()
    listener.client.publish("frigate/front/detect/set", "ON", qos=1)  # brings motion back
    assert listener.wait_for("front/motion/state", lambda p: p == b"ON", since=mark)
    assert running.controls["front"].is_on("motion") and running.controls["front"].is_on("detect")


def test_bad_commands_are_ignored(running: Running, mosquitto: Any, listen: Callable[..., Any]) -> None:
    listener = listen(mosquitto.port)
    listener.wait_for("available")
    listener.client.publish("frigate/front/detect/set", "MAYBE", qos=1)
    listener.client.publish("frigate/garage/detect/set", "OFF", qos=1)
    listener.client.publish("frigate/front/motion/set", "OFF", qos=1)  # refused: detect is on
    listener.client.publish("frigate/front/motion_threshold/set", "9999", qos=1)
    listener.drain(1.0)
    controls = running.controls["front"]
    assert controls.is_on("detect") and controls.is_on("motion") and controls.get("motion_threshold") == 30


def test_snapshots_reviews_classifications_and_updates(running: Running, mosquitto: Any,
                                               listen: Callable[..., Any]) -> None:
    item = ReviewItem(id="1700000000.000000-rev001", camera="front", start_time=1700000000.0,
                      end_time=None, severity="alert", detections=(person().id,), objects=("person",))
    early = listen(mosquitto.port)
    early.wait_for("available")
    running.hub.publish(BestSnapshot("front", "person", b"\xff\xd8jpeg"))
    running.hub.publish(ReviewChange("new", item, item))
    running.hub.publish(StateClassification("front", "door", "open"))
    running.hub.publish(TrackedObjectUpdate({"type": "classification", "id": person().id, "model": "dog",
                                             "sub_label": "rex", "score": 0.9}))
    update = json.loads(early.wait_for("tracked_object_update"))
    assert update["sub_label"] == "rex" and update["type"] == "classification"
    early.wait_for("front/classification/door")
    assert early.wait_for("front/review_status", lambda p: p == b"ALERT")
    late = listen(mosquitto.port)  # retained ones reach a client that connects later
    assert late.wait_for("front/person/snapshot") == b"\xff\xd8jpeg"
    assert late.wait_for("front/classification/door") == b"open"
    early_topics = {t for t, _, _ in late.drain()}
    assert "frigate/reviews" not in early_topics  # feeds are not retained
    assert "frigate/front/review_status" not in early_topics  # nor is review_status, as in Frigate

    running.hub.publish(ReviewChange("end", item, dataclasses.replace(item, end_time=1700000005.0)))
    review = json.loads(late.wait_for("reviews"))
    assert review["type"] == "end" and review["after"]["data"]["objects"] == ["person"]
    assert late.wait_for("front/review_status", lambda p: p == b"NONE")


def test_start_states_descriptions_retained_and_review_status_none(mosquitto: Any,
                                                                   listen: Callable[..., Any]) -> None:
    """A stale retained ALERT (left by an older Roost) is gone once Roost starts; at start
    every camera says NONE (not retained) and OFF for both GenAI description switches
    (retained, so Home Assistant finds them whenever it connects)."""
    config = make_config(mosquitto.port)
    stale = listen(mosquitto.port)
    stale.client.publish("frigate/front/review_status", "ALERT", qos=1, retain=True).wait_for_publish(5)
    assert stale.wait_for("front/review_status") == b"ALERT"
    hub = Hub()
    controls = {n: CameraControls.from_config(n, c) for n, c in config.cameras.items()}
    publisher = MqttPublisher(config, hub, controls)
    early = listen(mosquitto.port)
    since = early.mark()
    publisher.start()
    try:
        assert early.wait_for("front/review_status", lambda p: p == b"NONE", since=since)
        assert early.wait_for("front/object_descriptions/state", since=since) == b"OFF"
        assert early.wait_for("front/review_descriptions/state", since=since) == b"OFF"
        late = listen(mosquitto.port)
        assert late.wait_for("front/object_descriptions/state") == b"OFF"
        assert late.wait_for("front/review_descriptions/state") == b"OFF"
        late_topics = {t: (p, r) for t, p, r in late.drain()}
        assert late_topics["frigate/front/object_descriptions/state"][1] is True
        assert "frigate/front/review_status" not in late_topics, late_topics
    finally:
        publisher.stop()
        hub.close()
    after_stop = listen(mosquitto.port)
    assert "frigate/front/review_status" not in {t for t, _, _ in after_stop.drain(1.0)}


def test_stats_are_published_every_interval(mosquitto: Any, listen: Callable[..., Any]) -> None:
    config = make_config(mosquitto.port)
    fast = config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"stats_interval": 1})})
    hub = Hub()
    controls = {n: CameraControls.from_config(n, c) for n, c in config.cameras.items()}
    publisher = MqttPublisher(fast, hub, controls, stats=lambda: {"service": {"uptime": 7}})
    listener = listen(mosquitto.port)
    publisher.start()
    try:
        assert json.loads(listener.wait_for("stats", timeout=5))["service"]["uptime"] == 7
    finally:
        publisher.stop()
        hub.close()
    assert listener.wait_for("available", lambda p: p == b"offline")


@pytest.mark.slow
def test_broker_outage_reconnects_and_loses_nothing(mosquitto: Any, tmp_path: Path,
                                                    listen: Callable[..., Any]) -> None:
    # A broker that keeps sessions across its restart, so the listener's persistent session
    # receives whatever the publisher sends after it reconnects, whoever reconnects first.
    mosquitto.stop()
    # Mosquitto started as root drops to its own user, which must be able to write the
    # store (pytest's temp dirs are root-only), or the sessions are silently not saved.
    store = Path(tempfile.mkdtemp(prefix="roost-mqtt-store-"))
    os.chmod(store, 0o777)
    mosquitto.conf.write_text(mosquitto.conf.read_text().replace("persistence false", "persistence true")
                              + f"persistence_location {store}/\n")
    mosquitto.start()
    running = start_running(mosquitto.port, tmp_path)
    try:
        listener = listen(mosquitto.port, session="outage-listener")
        listener.wait_for("available", lambda p: p == b"online")
        running.processor.on_objects("front", [person(1)], [])
        listener.wait_for("events", lambda p: json.loads(p)["type"] == "new")

        mosquitto.stop()
        assert _disconnected(running.publisher)
        outage_started = time.monotonic()
        running.processor.on_objects("front", [], [person(1, end_time=1700000020.0)])
        for number in range(2, 6):  # the pipeline carries on while the broker is away
            running.processor.on_objects("front", [person(number)], [])
            running.processor.on_objects("front", [], [person(number, end_time=1700000030.0 + number)])
        time.sleep(max(0.0, 30 - (time.monotonic() - outage_started)))
        connections = running.publisher.connections
        mosquitto.start()

        assert running.publisher.connected.wait(20), "publisher did not reconnect"
        assert running.publisher.connections == connections + 1
        assert listener.wait_for("available", lambda p: p == b"online", timeout=15)
        ends: set[str] = set()
        while len(ends) < 5:
            payload = json.loads(listener.wait_for(
                "events", lambda p: json.loads(p)["type"] == "end" and json.loads(p)["after"]["id"] not in ends))
            ends.add(payload["after"]["id"])
        assert ends == {person(n).id for n in range(1, 6)}  # the backlog reached the broker
        assert listener.wait_for("front/person", lambda p: p == b"0")
        late = listen(mosquitto.port)
        assert late.wait_for("front/detect/state") == b"ON"  # retained state republished
        time.sleep(0.3)
        with running.database.read() as session:
            assert session.scalar(select(func.count()).select_from(EventRow)) == 5
            assert session.scalar(select(func.count()).select_from(EventRow)
                                  .where(EventRow.end_time.is_(None))) == 0
    finally:
        stop_running(running)


def _disconnected(publisher: MqttPublisher, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while publisher.connected.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not publisher.connected.is_set()
