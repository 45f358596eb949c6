"""The pure retention policy: table tests with a fixed `now`."""

from __future__ import annotations

import pytest

from roost.record.retention import (
    DAY_S, EVENT_CONFIRM_GRACE_S, EventSpan, RetentionPolicy, Segment, disk_pressure_victims,
    expired_event_media, expired_segments, free_space_floor,
)

NOW = 1_800_000_000.0


def seg(name: str, age_days: float, motion: int = 0, objects: int = 0, size: int = 100) -> Segment:
    start = NOW - age_days * DAY_S
    return Segment(name, "front", start, start + 10, motion, objects, size)


def event(name: str, age_days: float, label: str = "person", end: bool = True, retain: bool = False,
          zones: tuple[str, ...] = (), clip: bool = True, snapshot: bool = True) -> EventSpan:
    start = NOW - age_days * DAY_S + 2
    return EventSpan(name, "front", label, start, start + 3 if end else None, retain, clip, snapshot, zones)


@pytest.mark.parametrize(("policy", "segment", "events", "expired"), [
    # continuous retention by days and mode
    (RetentionPolicy(continuous_days=2), seg("s", 1), [], False),
    (RetentionPolicy(continuous_days=2), seg("s", 3), [], True),
    (RetentionPolicy(continuous_days=2, continuous_mode="motion"), seg("s", 1), [], True),
    (RetentionPolicy(continuous_days=2, continuous_mode="motion"), seg("s", 1, motion=3), [], False),
    (RetentionPolicy(continuous_days=2, continuous_mode="active_objects"), seg("s", 1, motion=3), [], True),
    (RetentionPolicy(continuous_days=2, continuous_mode="active_objects"), seg("s", 1, objects=1), [], False),
    # events keep overlapping segments for their label's days, filtered by the events' mode
    (RetentionPolicy(event_mode="all"), seg("s", 5), [event("e", 5)], False),
    (RetentionPolicy(event_mode="all"), seg("s", 11), [event("e", 11)], True),
    (RetentionPolicy(event_mode="all", event_days={"person": 15}), seg("s", 11), [event("e", 11)], False),
    (RetentionPolicy(event_mode="all", event_days={"dog": 15}), seg("s", 11), [event("e", 11)], True),
    (RetentionPolicy(event_mode="motion"), seg("s", 5), [event("e", 5)], True),
    (RetentionPolicy(event_mode="motion"), seg("s", 5, motion=1), [event("e", 5)], False),
    # an event elsewhere in time keeps nothing here
    (RetentionPolicy(event_mode="all"), seg("s", 5), [event("e", 4)], True),
    # event objects and required zones decide whether an event keeps recordings at all
    (RetentionPolicy(event_mode="all", event_objects=("car",)), seg("s", 5), [event("e", 5)], True),
    (RetentionPolicy(event_mode="all", required_zones=("yard",)), seg("s", 5), [event("e", 5)], True),
    (RetentionPolicy(event_mode="all", required_zones=("yard",)), seg("s", 5), [event("e", 5, zones=("yard",))], False),
    # retained forever and in progress: kept whatever the mode and the age
    (RetentionPolicy(event_mode="motion"), seg("s", 400), [event("e", 400, retain=True)], False),
    (RetentionPolicy(event_mode="motion"), seg("s", 1), [event("e", 1, end=False)], False),
])
def test_segment_expiry_table(policy: RetentionPolicy, segment: Segment, events: list[EventSpan],
                              expired: bool) -> None:
    assert (expired_segments([segment], events, policy, NOW) == [segment]) is expired


def test_pre_capture_reaches_into_the_segment_before_the_event() -> None:
    policy = RetentionPolicy(event_mode="all", pre_capture=5, post_capture=5)
    before = Segment("before", "front", NOW - 5 * DAY_S - 10, NOW - 5 * DAY_S, motion=0)
    e = EventSpan("e", "front", "person", NOW - 5 * DAY_S + 3, NOW - 5 * DAY_S + 4)
    assert expired_segments([before], [e], policy, NOW) == []
    far = EventSpan("e", "front", "person", NOW - 5 * DAY_S + 6, NOW - 5 * DAY_S + 7)
    assert expired_segments([before], [far], policy, NOW) == [before]


def test_newest_segments_wait_for_events_still_being_confirmed() -> None:
    policy = RetentionPolicy(pre_capture=5)
    young = Segment("y", "front", NOW - 20, NOW - 10)
    settled = Segment("o", "front", NOW - 20 - 5 - EVENT_CONFIRM_GRACE_S, NOW - 10 - 5 - EVENT_CONFIRM_GRACE_S)
    assert expired_segments([young, settled], [], policy, NOW) == [settled]


@pytest.mark.parametrize(("span", "clip", "snapshot", "row"), [
    (event("e", 5), False, False, False),
    (event("e", 11), True, True, True),
    (event("e", 11, retain=True), False, False, False),
    (event("e", 11, end=False), False, False, False),
    (event("e", 11, clip=False), False, True, True),
])
def test_event_media_expiry_table(span: EventSpan, clip: bool, snapshot: bool, row: bool) -> None:
    result = expired_event_media([span], RetentionPolicy(), NOW)
    assert (result.clips == [span.id], result.snapshots == [span.id], result.rows == [span.id]) == (clip, snapshot, row)


def test_snapshot_days_are_independent_of_clip_days() -> None:
    policy = RetentionPolicy(event_days_default=3, snapshot_days_default=30)
    result = expired_event_media([event("e", 5)], policy, NOW)
    assert (result.clips, result.snapshots, result.rows) == (["e"], [], [])


def test_disk_pressure_takes_oldest_first_across_cameras_skipping_protected() -> None:
    a = [Segment(f"a{i}", "a", NOW - 100 + 10 * i, NOW - 90 + 10 * i, size=10) for i in range(3)]
    b = [Segment(f"b{i}", "b", NOW - 95 + 10 * i, NOW - 85 + 10 * i, size=10) for i in range(3)]
    keep = EventSpan("k", "a", "person", NOW - 89, NOW - 88, retain_indefinitely=True)
    policies = {"a": RetentionPolicy(pre_capture=0, post_capture=0), "b": RetentionPolicy()}
    victims = disk_pressure_victims(a + b, [keep], policies, 25, NOW)
    assert [v.id for v in victims] == ["a0", "b0", "b1"]  # a1 holds the retained event
    assert disk_pressure_victims(a + b, [], policies, 0, NOW) == []


def test_free_space_floor_is_an_hour_at_the_recent_rate() -> None:
    recent = [Segment(str(i), "front", NOW - 600 + 10 * i, NOW - 590 + 10 * i, size=1000) for i in range(60)]
    old = [Segment("old", "front", NOW - 5000, NOW - 4990, size=10**9)]
    assert free_space_floor(recent + old, NOW) == 60 * 1000 * 6  # 60 kB per 10 min → 360 kB per hour
