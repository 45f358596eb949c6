"""Topic layout and command rules of the publish stage (pure)."""

from __future__ import annotations

import json
import typing

import pytest

from roost.classify.messages import ObjectClassification, StateClassification
from roost.config import validate_raw
from roost.controls import CameraControls
from roost.events.event import BestSnapshot, Event, EventChange, MotionChange, ObjectCount
from roost.events.review import ReviewChange
from roost.hub import Hub
from roost.publish.commands import CommandError, ControlCommands, parse_value
from roost.publish.messages import ControlState, StatsReport, TrackedObjectUpdate
from roost.publish.topics import HubMessage, publications, set_topic_parts
from roost.train.messages import TrainingState
from roost.train.pipeline import TrainingProgress

EVENT = Event(id="1.000000-abcdef", camera="front", label="person", frame_time=2.0, start_time=1.0, end_time=None,
              score=0.8, top_score=0.9, false_positive=False, box=(1, 2, 3, 4), area=4, ratio=1.0,
              region=(0, 0, 10, 10), sub_label=("bob", 0.7))


@pytest.mark.parametrize(("message", "expected"), [
    (ObjectCount("yard", "person", 2, 1), [("yard/person", "2", False, True), ("yard/person/active", "1", False, True)]),
    (MotionChange("front", True), [("front/motion", "ON", False, True)]),
    (MotionChange("front", False), [("front/motion", "OFF", False, True)]),
    (BestSnapshot("front", "dog", b"jpg"), [("front/dog/snapshot", b"jpg", True, True)]),
    (ControlState("front", "detect", 0, True), [("front/detect/state", "OFF", True, True)]),
    (ControlState("front", "motion_threshold", 40, False), [("front/motion_threshold/state", "40", True, True)]),
    (StatsReport({"a": 1}), [("stats", {"a": 1}, False, False)]),
    (TrackedObjectUpdate({"type": "x"}), [("tracked_object_update", {"type": "x"}, False, False)]),
    (StateClassification("front", "door", "open"), [("front/classification/door", "open", True, True)]),
    (TrainingState(TrainingProgress("door", "training", "embedding", 3, 9)),
     [("classification/door/model_state", {"model": "door", "state": "training", "stage": "embedding", "done": 3,
                                           "total": 9, "message": ""}, True, True)]),
])
def test_topics_for_each_message(message: HubMessage, expected: list[tuple[object, ...]]) -> None:
    assert [(p.topic, p.payload, p.retain, p.state) for p in publications(message)] == expected


def test_every_hub_message_type_has_topics() -> None:
    """The union is closed: a type added to it without a mapping fails here (and in mypy)."""
    mapped = {EventChange, ObjectCount, MotionChange, BestSnapshot, ControlState, StatsReport, TrackedObjectUpdate,
              StateClassification, TrainingState, ObjectClassification, ReviewChange}
    assert set(typing.get_args(HubMessage)) == mapped
    with pytest.raises(AssertionError):
        publications("not a message")  # type: ignore[arg-type]


def test_event_change_is_the_events_feed() -> None:
    [publication] = publications(EventChange("new", EVENT, EVENT))
    body = json.loads(publication.wire_payload())
    assert publication.topic == "events" and body["type"] == "new"
    assert body["after"]["sub_label"] == ["bob", 0.7] and body["after"]["thumbnail"] is None


@pytest.mark.parametrize(("topic", "expected"), [
    ("frigate/front/detect/set", ("front", "detect")),
    ("home/nvr/front/motion/set", ("front", "motion")),
    ("frigate/front/detect/state", None),
    ("frigate/detect/set", None),
    ("other/front/detect/set", None),
])
def test_set_topic_parts(topic: str, expected: tuple[str, str] | None) -> None:
    prefix = "home/nvr" if topic.startswith("home/") else "frigate"
    assert set_topic_parts(prefix, topic) == expected


@pytest.mark.parametrize(("name", "payload", "value"), [
    ("detect", "ON", 1), ("detect", "off", 0), ("snapshots", "true", 1), ("motion_threshold", "25", 25),
    ("motion_contour_area", "30.0", 30),
])
def test_parse_value(name: str, payload: str, value: int) -> None:
    assert parse_value(name, payload) == value


@pytest.mark.parametrize(("name", "payload"), [("detect", "maybe"), ("motion_threshold", "0"),
                                                ("motion_threshold", "300"), ("motion_contour_area", "lots")])
def test_parse_value_refuses(name: str, payload: str) -> None:
    with pytest.raises(CommandError):
        parse_value(name, payload)


def test_commands_follow_frigates_couplings() -> None:
    config = validate_raw({"cameras": {"front": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
                                                 "detect": {"width": 64, "height": 48}}}}).config
    controls = {"front": CameraControls.from_config("front", config.cameras["front"])}
    hub = Hub()
    try:
        commands = ControlCommands(config, controls, hub)
        with pytest.raises(CommandError, match="object detection is on"):
            commands.apply("front", "motion", "OFF")
        with pytest.raises(CommandError, match="record.enabled"):
            commands.apply("front", "recordings", "ON")
        with pytest.raises(CommandError, match="unknown camera"):
            commands.apply("garage", "detect", "OFF")
        assert [s.name for s in commands.apply("front", "detect", "OFF")] == ["detect"]
        commands.apply("front", "motion", "OFF")
        assert [(s.name, s.value) for s in commands.apply("front", "detect", "ON")] == [("detect", 1), ("motion", 1)]
    finally:
        hub.close()
