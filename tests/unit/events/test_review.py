"""Review grouping: table tests over frames of events, plus storage and hub messages."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from roost.config.media import ReviewConfig
from roost.events.event import Event
from roost.events.review import (
    REVIEW_END_AFTER_S, ReviewChange, ReviewGrouper, ReviewItem, ReviewRules, ReviewSegments,
    group_review_items, severity_of,
)
from roost.hub import Hub
from roost.store import Database, database_url
from roost.store.models import ReviewSegmentRow

T0 = 1_700_000_000.0


def ev(event_id: str, label: str = "person", zones: tuple[str, ...] = (), stationary: bool = False,
       sub_label: str | None = None, ended: bool = False, false_positive: bool = False) -> Event:
    return Event(id=event_id, camera="front", label=label, frame_time=T0, start_time=T0,
                 end_time=T0 + 1 if ended else None, score=0.9, top_score=0.9, false_positive=false_positive,
                 box=(0, 0, 10, 10), area=100, ratio=1.0, region=(0, 0, 100, 100), stationary=stationary,
                 current_zones=zones, entered_zones=zones,
                 sub_label=(sub_label, 0.9) if sub_label else None)


def ids() -> Callable[[float], str]:
    counter = itertools.count(1)
    return lambda _t: f"r{next(counter)}"


DEFAULT = ReviewRules()


@pytest.mark.parametrize(("event", "rules", "expected"), [
    (ev("a", "person"), DEFAULT, "alert"),
    (ev("a", "car"), DEFAULT, "alert"),
    (ev("a", "dog"), DEFAULT, "detection"),
    (ev("a", "person", stationary=True), DEFAULT, None),
    (ev("a", "person", ended=True), DEFAULT, None),
    (ev("a", "person", false_positive=True), DEFAULT, None),
    (ev("a", "person"), ReviewRules(alert_zones=("porch",)), "detection"),
    (ev("a", "person", zones=("porch",)), ReviewRules(alert_zones=("porch",)), "alert"),
    (ev("a", "dog"), ReviewRules(detection_labels=("cat",)), None),
    (ev("a", "dog", zones=("yard",)), ReviewRules(detection_zones=("porch",)), None),
    (ev("a", "person"), ReviewRules(alerts_enabled=False), "detection"),
    (ev("a", "dog"), ReviewRules(detections_enabled=False), None),
])
def test_severity_table(event: Event, rules: ReviewRules, expected: str | None) -> None:
    assert severity_of(event, rules) == expected


@pytest.mark.parametrize(("frames", "expected"), [
    # one burst of activity → one item, ended at the last active frame
    ([(0, [ev("a")]), (1, [ev("a")]), (2, []), (1 + REVIEW_END_AFTER_S, [])],
     [("r1", 0, 1, "alert", ("a",))]),
    # a gap shorter than the end delay keeps one item
    ([(0, [ev("a", "dog")]), (3, []), (4, [ev("b", "dog")]), (4 + REVIEW_END_AFTER_S, [])],
     [("r1", 0, 4, "detection", ("a", "b"))]),
    # a longer gap splits it
    ([(0, [ev("a", "dog")]), (REVIEW_END_AFTER_S, []), (10, [ev("b", "dog")])],
     [("r1", 0, 0, "detection", ("a",)), ("r2", 10, None, "detection", ("b",))]),
    # a detection becomes an alert when a person shows up, and stays one
    ([(0, [ev("a", "dog")]), (1, [ev("a", "dog"), ev("b")]), (2, [ev("a", "dog")])],
     [("r1", 0, None, "alert", ("a", "b"))]),
    # stationary objects do not start or extend items
    ([(0, [ev("a", stationary=True)]), (1, [ev("a", stationary=True)])], []),
])
def test_grouping_table(frames: list[tuple[float, list[Event]]],
                        expected: list[tuple[str, float, float | None, str, tuple[str, ...]]]) -> None:
    items = group_review_items("front", DEFAULT, [(T0 + t, e) for t, e in frames], new_id=ids())
    assert [(i.id, i.start_time - T0, None if i.end_time is None else i.end_time - T0, i.severity, i.detections)
            for i in items] == expected


def test_item_collects_labels_zones_and_sub_labels() -> None:
    frames = [(T0, [ev("a", "person", zones=("porch",), sub_label="alice")]),
              (T0 + 1, [ev("b", "car", zones=("drive",)), ev("a", "person", zones=("porch",), sub_label="alice")])]
    (item,) = group_review_items("front", DEFAULT, frames, new_id=ids())
    assert item.data() == {"detections": ["a", "b"], "objects": ["person", "car"],
                           "zones": ["porch", "drive"], "sub_labels": ["alice"]}


def test_changes_are_new_update_end_with_review_status() -> None:
    grouper = ReviewGrouper("front", DEFAULT, ids())
    new = grouper.update(T0, [ev("a", "dog")])
    same = grouper.update(T0 + 1, [ev("a", "dog")])
    upgraded = grouper.update(T0 + 2, [ev("b")])
    ended = grouper.update(T0 + 2 + REVIEW_END_AFTER_S, [])
    assert [c.type for c in new + upgraded + ended] == ["new", "update", "end"] and same == []
    assert [c.review_status for c in new + upgraded + ended] == ["DETECTION", "ALERT", "NONE"]
    assert upgraded[0].before.severity == "detection" and upgraded[0].after.severity == "alert"
    message = ended[0].to_mqtt()
    assert message["type"] == "end" and message["after"]["end_time"] == T0 + 2
    assert message["after"]["data"]["detections"] == ["a", "b"]


def test_rules_from_config_use_frigate_defaults() -> None:
    rules = ReviewRules.from_config(ReviewConfig(), alerts_on=False)
    assert rules.alert_labels == ("person", "car") and rules.detection_labels is None
    assert not rules.alerts_enabled and rules.detections_enabled


def test_review_segments_store_rows_and_publish(tmp_path: Path) -> None:
    database = Database(database_url(None, None, tmp_path))
    database.migrate()
    hub = Hub()
    received: list[ReviewChange] = []
    hub.subscribe("test", received.append)
    try:
        segments = ReviewSegments(database, hub, {"front": DEFAULT})
        segments.update("front", T0, [ev("a")])
        item_id = segments.groupers["front"].current.id if segments.groupers["front"].current else ""
        database.write(lambda s: s.get(ReviewSegmentRow, item_id).__setattr__("has_been_reviewed", True))
        segments.update("front", T0 + 1, [ev("a"), ev("b", "dog")])
        segments.update("front", T0 + 1 + REVIEW_END_AFTER_S, [])
        with database.read() as session:
            (row,) = session.scalars(select(ReviewSegmentRow)).all()
        assert (row.start_time, row.end_time, row.severity) == (T0, T0 + 1, "alert")
        assert row.data["detections"] == ["a", "b"] and row.has_been_reviewed  # API's flag survives updates
        hub.close()
        assert [c.type for c in received] == ["new", "update", "end"]
        assert all(isinstance(c.after, ReviewItem) for c in received)
    finally:
        database.close()
