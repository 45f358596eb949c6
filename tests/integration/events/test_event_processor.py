"""Event life cycle on the main-process side: new → update → end in the database and on
the hub, counts that go up and back to 0, motion ON/OFF with the off delay."""

from __future__ import annotations

import dataclasses
import queue
import time
from pathlib import Path
from typing import Any

import pytest

from roost.config import validate_raw
from roost.events.event import Event, EventChange, MotionChange, ObjectCount
from roost.events.processor import EventProcessor
from roost.hub import Hub
from roost.store import Database, database_url
from roost.store.models import EventRow

CONFIG = {"cameras": {"front": {
    "ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
    "detect": {"width": 640, "height": 480},
    "motion": {"mqtt_off_delay": 5},
    "zones": {"yard": {"coordinates": "0,0,640,0,640,480,0,480"}},
}}}


def person(**changes: Any) -> Event:
    base = Event(id="1700000000.000000-abc123", camera="front", label="person", frame_time=1700000001.0,
                 start_time=1700000000.0, end_time=None, score=0.8, top_score=0.8, false_positive=False,
                 box=(10, 10, 50, 100), area=3600, ratio=0.4, region=(0, 0, 320, 320))
    return dataclasses.replace(base, **changes)


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    hub = Hub()
    received: queue.Queue[Any] = queue.Queue()
    hub.subscribe("test", received.put)
    processor = EventProcessor(validate_raw(CONFIG).config, db, hub)
    yield processor, db, received
    hub.close()
    db.close()


def drain(received: queue.Queue[Any]) -> list[Any]:
    time.sleep(0.2)
    items = []
    while not received.empty():
        items.append(received.get())
    return items


def test_event_life_cycle(setup: Any) -> None:
    processor, db, received = setup
    processor.on_objects("front", [person(false_positive=True)], [])
    assert not [m for m in drain(received) if isinstance(m, EventChange)]  # false positive: no event
    processor.on_objects("front", [person()], [])
    processor.on_objects("front", [person(frame_time=1700000002.0, box=(12, 10, 52, 100))], [])  # not significant
    processor.on_objects("front", [person(current_zones=("yard",), entered_zones=("yard",))], [])
    processor.on_objects("front", [], [person(end_time=1700000009.0, entered_zones=("yard",))])
    messages = drain(received)
    changes = [m for m in messages if isinstance(m, EventChange)]
    assert [c.type for c in changes] == ["new", "update", "end"]
    assert changes[1].before.current_zones == () and changes[1].after.current_zones == ("yard",)
    assert changes[2].after.end_time == 1700000009.0
    counts = [(m.where, m.label, m.count) for m in messages if isinstance(m, ObjectCount) and m.label == "person"]
    assert ("front", "person", 1) in counts and ("yard", "person", 1) in counts
    assert counts[-2:] == [("front", "person", 0), ("yard", "person", 0)]
    db.writer.submit(lambda s: None).result()
    with db.read() as session:
        row = session.get(EventRow, "1700000000.000000-abc123")
    assert row is not None and row.end_time == 1700000009.0 and row.zones == ["yard"]


def test_sub_label_set_elsewhere_is_not_overwritten(setup: Any) -> None:
    processor, db, received = setup
    processor.on_objects("front", [person()], [])
    db.writer.submit(lambda s: setattr(s.get(EventRow, person().id), "sub_label", "bob")).result()
    processor.on_objects("front", [person(top_score=0.9)], [])
    db.writer.submit(lambda s: None).result()
    with db.read() as session:
        row = session.get(EventRow, person().id)
    assert row is not None and row.sub_label == "bob" and row.top_score == 0.9


def test_motion_off_after_delay(setup: Any) -> None:
    processor, _db, received = setup
    processor.on_motion("front", 100.0, True)
    processor.on_motion("front", 102.0, False)
    processor.on_motion("front", 104.9, False)
    processor.on_motion("front", 105.1, False)
    assert [m.motion for m in drain(received) if isinstance(m, MotionChange)] == [True, False]
