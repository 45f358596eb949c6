"""The tracker: ids across frames, disappearance, stationarity, scores, zones, best frames."""

from __future__ import annotations

import re

import pytest
from track_scenes import FPS, detection, tracker

from roost.config.motion_detect import DetectConfig, StationaryConfig, StationaryMaxFramesConfig
from roost.config.objects import FilterConfig, ObjectsConfig, ZoneConfig
from roost.detect.region import Region

STEP = 1 / FPS


def _ids_by_label(update) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {obj.label: obj.id for obj in update.objects}


def test_object_ids_follow_the_contract_format() -> None:
    update = tracker().update(1607123955.475377, [detection((100, 100, 150, 200))])
    (obj,) = update.objects
    assert re.fullmatch(r"1607123955\.475377-[a-z0-9]{6}", obj.id)
    assert update.new == (obj.id,)
    assert obj.start_time == obj.frame_time == 1607123955.475377


def test_a_walking_person_keeps_its_id() -> None:
    t = tracker()
    ids = set()
    for frame in range(30):
        x = 50 + 15 * frame
        update = t.update(frame * STEP, [detection((x, 200, x + 50, 300))])
        ids |= {o.id for o in update.objects}
    assert len(ids) == 1
    (obj,) = t.objects
    assert obj.velocity == pytest.approx((15 * FPS, 0, 15 * FPS, 0))  # px/s of each edge


def test_crossing_people_keep_their_ids() -> None:
    """Two people walk towards each other along the same line; while they overlap the
    detector sees only one of them (as NMS would leave it)."""
    t = tracker()
    first = None
    for frame in range(24):
        left = 100 + 20 * frame  # walking right
        right = 560 - 20 * frame  # walking left
        boxes = [(left, 200, left + 50, 320), (right, 205, right + 50, 325)]
        overlapping = abs(left - right) < 50
        update = t.update(frame * STEP, [detection(boxes[0])] if overlapping else [detection(b) for b in boxes])
        by_x = {o.id: o.box[0] for o in update.objects if o.disappeared == 0}
        if first is None:
            first = sorted(by_x, key=by_x.get)  # [walking right, walking left]
            continue
        if not overlapping:
            assert by_x[first[0]] == left and by_x[first[1]] == right, frame
    assert {o.id for o in t.objects} == set(first)


def test_crossing_paths_at_an_angle_keep_ids() -> None:
    t = tracker()
    start = t.update(0.0, [detection((100, 100, 140, 180)), detection((400, 100, 440, 180))])
    a, b = (o.id for o in start.objects)
    for frame in range(1, 20):
        boxes = [(100 + 16 * frame, 100 + 6 * frame), (400 - 16 * frame, 100 + 8 * frame)]
        update = t.update(frame * STEP, [detection((x, y, x + 40, y + 80)) for x, y in boxes])
        positions = {o.id: o.box[:2] for o in update.objects}
        assert positions == {a: boxes[0], b: boxes[1]}, frame


def test_an_object_missing_for_max_disappeared_frames_keeps_its_id_one_more_is_gone() -> None:
    detect = DetectConfig(fps=FPS, max_disappeared=4)
    for missing, survives in ((4, True), (5, False)):
        t = tracker(detect=detect)
        t.update(0.0, [detection((100, 100, 150, 200))])
        (original,) = t.objects
        removed = []
        for frame in range(1, missing + 1):
            removed += t.update(frame * STEP, []).removed
        back = t.update((missing + 1) * STEP, [detection((100, 100, 150, 200))])
        (obj,) = back.objects
        assert (obj.id == original.id) is survives
        assert [r.id for r in removed] == ([] if survives else [original.id])
        if not survives:
            assert removed[0].disappeared == 5 and back.new == (obj.id,)


def test_default_max_disappeared_is_twice_the_fps() -> None:
    t = tracker()
    t.update(0.0, [detection((100, 100, 150, 200))])
    gone_at = next(frame for frame in range(1, 30) if t.update(frame * STEP, []).removed)
    assert gone_at == 2 * FPS + 1


def test_an_object_nobody_looked_for_does_not_age() -> None:
    t = tracker(detect=DetectConfig(fps=FPS, max_disappeared=2))
    t.update(0.0, [detection((100, 100, 150, 200))])
    elsewhere = [Region(400, 200, 720, 520)]
    for frame in range(1, 10):
        t.update(frame * STEP, [], regions=elsewhere)
    (obj,) = t.objects
    assert obj.disappeared == 0
    here = [Region(0, 0, 320, 320)]
    assert t.update(10 * STEP, [], regions=here).objects[0].disappeared == 1


def test_labels_are_never_mixed() -> None:
    t = tracker()
    t.update(0.0, [detection((100, 100, 150, 200), "person")])
    update = t.update(STEP, [detection((100, 100, 150, 200), "car")])
    assert sorted(o.label for o in update.objects) == ["car", "person"]


def test_readme_scores_through_the_tracker() -> None:
    """min_score 0.6, threshold 0.85: frame 2's 0.55 is filtered out and recorded as 0.0."""
    objects = ObjectsConfig(filters={"person": FilterConfig(min_score=0.6, threshold=0.85)})
    t = tracker(objects=objects)
    states = []
    for frame, score in enumerate([0.7, 0.55, 0.85, 0.90, 0.88, 0.95]):
        (obj,) = t.update(frame * STEP, [detection((100, 100, 150, 200), score=score)]).objects
        states.append((round(obj.computed_score, 3), obj.false_positive))
    assert states == [(0.0, True), (0.0, True), (0.7, True), (0.775, True), (0.85, False), (0.865, False)]
    assert t.objects[0].top_score == 0.865


def test_stationary_after_threshold_still_frames_and_position_changes() -> None:
    detect = DetectConfig(fps=FPS, stationary=StationaryConfig(threshold=5, interval=3))
    t = tracker(detect=detect)
    box = (100, 100, 150, 200)
    stationary = []
    for frame in range(8):
        jitter = frame % 2  # detector jitter is not movement
        (obj,) = t.update(frame * STEP, [detection((box[0] + jitter, 100, 150 + jitter, 200))]).objects
        stationary.append(obj.stationary)
    assert stationary == [False] * 5 + [True] * 3  # 5 detections without moving after the first
    assert obj.motionless_count == 7 and obj.position_changes == 0
    # stationary: its box is only looked at every `interval` frames
    assert t.boxes_to_look_at(8 * STEP) == []
    t.update(8 * STEP, [], regions=[])
    t.update(9 * STEP, [], regions=[])
    assert t.boxes_to_look_at(10 * STEP) == [(101, 100, 151, 200)]  # where it was last seen
    # it moves: no longer stationary, one more position change
    (obj,) = t.update(10 * STEP, [detection((200, 100, 250, 200))]).objects
    assert not obj.stationary and obj.motionless_count == 0 and obj.position_changes == 1


def test_stationary_max_frames_ends_an_object_that_stays_put_per_label() -> None:
    detect = DetectConfig(fps=FPS, stationary=StationaryConfig(
        threshold=3, interval=4, max_frames=StationaryMaxFramesConfig(default=10, objects={"car": 20})))
    t = tracker(detect=detect)
    person, car = (100, 100, 150, 200), (400, 100, 600, 250)
    removed_at: dict[str, int] = {}
    for frame in range(30):
        looked = t.boxes_to_look_at(frame * STEP)  # stationary ones only every `interval`
        found = [detection(box, label) for box, label in ((person, "person"), (car, "car"))
                 if frame < 4 or any(b == box for b in looked)]
        update = t.update(frame * STEP, found, regions=[] if frame >= 4 else None)
        for obj in update.removed:
            removed_at[obj.label] = frame
    # motionless from frame 1; gone once more than max_frames frames passed without moving,
    # counting the frames between re-checks too
    assert removed_at == {"person": 11, "car": 21}
    # an object that keeps moving is never expired
    t = tracker(detect=detect)
    for frame in range(30):
        x = 100 + 5 * frame
        assert not t.update(frame * STEP, [detection((x, 100, x + 50, 200))]).removed


def test_first_move_counts_as_a_position_change() -> None:
    t = tracker()
    for frame in range(6):
        x = 100 + 30 * frame
        (obj,) = t.update(frame * STEP, [detection((x, 100, x + 50, 200))]).objects
    assert obj.position_changes == 1 and obj.motionless_count == 0


def test_zones_entered_in_order() -> None:
    zones = {
        "driveway": ZoneConfig(coordinates="400,0,768,0,768,576,400,576", inertia=2),
        "yard": ZoneConfig(coordinates="0,0,400,0,400,576,0,576", inertia=2),
    }
    t = tracker(zones=zones)
    history = []
    for frame in range(12):
        x = 300 + 20 * frame  # feet at x+24.5: the yard, then the driveway from frame 4
        (obj,) = t.update(frame * STEP, [detection((x, 200, x + 50, 300))]).objects
        history.append(obj.current_zones)
    assert history[0] == () and history[1] == ("yard",)
    assert history[4] == () and history[5] == ("driveway",)
    assert obj.entered_zones == ("yard", "driveway")


def test_zones_replaced_while_tracking_keep_the_object() -> None:
    t = tracker(zones={"yard": ZoneConfig(coordinates="0,0,400,0,400,576,0,576", inertia=1)})
    (obj,) = t.update(0, [detection((100, 200, 150, 300))]).objects
    assert obj.current_zones == ("yard",)
    t.reconfigure(ObjectsConfig(), {"porch": ZoneConfig(coordinates="0,250,768,250,768,576,0,576", inertia=2)})
    assert t.objects[0].current_zones == () and t.objects[0].id == obj.id
    zones = [t.update(frame * STEP, [detection((100, 200, 150, 300))]).objects[0].current_zones for frame in (1, 2)]
    assert zones == [(), ("porch",)]  # inertia 2: the second frame inside enters it
    assert t.objects[0].entered_zones == ("yard", "porch")


def test_best_frame_is_kept_once_a_true_positive() -> None:
    t = tracker(best_image_timeout=60)
    scores = [0.9, 0.95, 0.8, 0.95, 0.7]
    for frame, score in enumerate(scores):
        size = 100 + frame
        (obj,) = t.update(frame * STEP, [detection((100, 100, 150, 100 + size), score=score)]).objects
        if frame == 0:
            assert obj.false_positive and obj.best is None
    assert obj.best is not None
    assert obj.best.score == 0.95 and obj.best.frame_time == 3 * STEP  # same score, larger box
    (obj,) = t.update(70.0, [detection((100, 100, 150, 200), score=0.6)]).objects
    assert obj.best is not None and obj.best.frame_time == 70.0  # older than the timeout


def test_frames_read_in_a_burst_after_a_stall_keep_the_walking_person() -> None:
    """After a stall, ffmpeg hands over the frames it held in a burst, stamped a millisecond
    apart: their motion over that millisecond is not the person's speed (it was read as
    10 000 px/s, the prediction flew off and a second object started on the same person)."""
    t = tracker()
    times = [frame * STEP for frame in range(6)] + [1.6 + 0.001 * n for n in range(6)] + [1.8 + frame * STEP for frame in range(6)]
    ids = set()
    for frame, now in enumerate(times):
        x = 50 + 15 * frame
        update = t.update(now, [detection((x, 200, x + 50, 300))])
        ids |= {o.id for o in update.objects}
    assert len(ids) == 1, ids
    (obj,) = t.objects
    assert abs(obj.velocity[0]) < 30 * FPS, obj.velocity  # about the real 15 px a frame


def test_predicted_boxes_follow_the_velocity_and_stop_after_a_second() -> None:
    t = tracker()
    for frame in range(3):
        x = 100 + 10 * frame
        t.update(frame * STEP, [detection((x, 100, x + 50, 200))])
    (oid,) = (o.id for o in t.objects)
    assert t.predicted_boxes(3 * STEP)[oid] == (130, 100, 180, 200)
    assert t.predicted_boxes(100.0)[oid] == (170, 100, 220, 200)  # 1 s at 50 px/s, no further


def test_sub_label_and_attributes() -> None:
    t = tracker()
    t.update(0.0, [detection((100, 100, 150, 200))])
    (oid,) = (o.id for o in t.objects)
    t.set_sub_label(oid, "alice", 0.93)
    t.set_attribute(oid, "hat", 0.6)
    t.set_attribute(oid, "hat", 0.4)
    t.set_sub_label("gone-id", "bob", 0.9)
    (obj,) = t.objects
    assert obj.sub_label == ("alice", 0.93) and obj.attributes == (("hat", 0.6),)


# (case, first frame's detections, second frame's detections, objects after the second)
SECOND_BOX_CASES = [
    ("a second box on a tracked person starts nothing", [(100, 100, 150, 250)],
     [(100, 100, 150, 250), (104, 106, 152, 246)], 1),
    ("a person's box overlapping by IoU 0.5 or less is another person", [(100, 100, 150, 250)],
     [(100, 100, 150, 250), (125, 100, 175, 250)], 2),  # IoU 25/75 = 0.33
    ("two overlapping new boxes in one frame start one object", [],
     [(300, 100, 350, 250), (302, 104, 351, 252)], 1),
    ("a box of another label on a tracked person is a new object", [(100, 100, 150, 250)],
     [(100, 100, 150, 250), (103, 100, 153, 250, "cat")], 2),
]


@pytest.mark.parametrize(("case", "first", "second", "count"), SECOND_BOX_CASES, ids=[c[0] for c in SECOND_BOX_CASES])
def test_no_second_object_on_a_tracked_one(case: str, first: list[tuple[int, int, int, int]],
                                           second: list[tuple[int, ...]], count: int) -> None:
    t = tracker()
    t.update(0.0, [detection(b) for b in first])
    update = t.update(STEP, [detection(b[:4], *b[4:]) for b in second])  # type: ignore[arg-type]
    assert len(update.objects) == count

