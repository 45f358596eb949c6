"""Frigate's MQTT topic layout (CONTRACT.md "MQTT topics") for every hub message: the one
mapping from a `HubMessage` to the `Publication`s it makes, used by MQTT and the websocket."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict
from typing import assert_never

from roost.controls import SWITCHES, CameraControls
from roost.classify.messages import ObjectClassification, StateClassification
from roost.events.event import BestSnapshot, EventChange, MotionChange, ObjectCount
from roost.events.review import ReviewChange
from roost.publish.messages import ControlState, Publication, StatsReport, TrackedObjectUpdate
from roost.train.messages import TrainingState

logger = logging.getLogger(__name__)

AVAILABLE_TOPIC = "available"
ONLINE = "online"
OFFLINE = "offline"


#: Everything the pipeline, the API and the trainer put on the hub.
HubMessage = (EventChange | ObjectCount | MotionChange | BestSnapshot | ReviewChange | StateClassification
              | ObjectClassification | ControlState | TrackedObjectUpdate | StatsReport | TrainingState)


def publications(message: HubMessage) -> list[Publication]:
    """The MQTT messages `message` becomes."""
    match message:
        case EventChange():
            return [Publication("events", message.to_mqtt())]
        case ObjectCount(where=where, label=label):
            return [Publication(f"{where}/{label}", str(message.count), state=True),
                    Publication(f"{where}/{label}/active", str(message.active), state=True)]
        case MotionChange():
            return [Publication(f"{message.camera}/motion", "ON" if message.motion else "OFF", state=True)]
        case BestSnapshot():
            return [Publication(f"{message.camera}/{message.label}/snapshot", message.jpeg, retain=True, state=True)]
        case ReviewChange():
            return [Publication("reviews", message.to_mqtt()), review_status(message.after.camera, message.review_status)]
        case StateClassification():
            return [Publication(f"{message.camera}/classification/{message.model}", message.state,
                                retain=True, state=True)]
        case ObjectClassification():
            return [Publication("tracked_object_update", message.payload())]
        case ControlState():
            value = ("ON" if message.value else "OFF") if message.is_switch else str(message.value)
            return [Publication(f"{message.camera}/{message.name}/state", value, retain=True, state=True)]
        case TrackedObjectUpdate():
            return [Publication("tracked_object_update", message.payload)]
        case StatsReport():
            return [Publication("stats", message.stats)]
        case TrainingState(progress=progress):
            data = {k: v for k, v in asdict(progress).items() if k != "result"}
            return [Publication(f"classification/{progress.model}/model_state", data, retain=True, state=True)]
        case _:
            assert_never(message)


def review_status(camera: str, status: str) -> Publication:
    """`<camera>/review_status`: not retained, as in Frigate, so a stopped Roost leaves no
    stale `ALERT` behind; still a state, so a reconnect sends the current value again."""
    return Publication(f"{camera}/review_status", status, retain=False, state=True)


#: GenAI description switches Frigate (0.17) publishes retained for every camera; Roost has
#: no GenAI, so they are `OFF`, as Frigate publishes them with GenAI off.
DESCRIPTION_SWITCHES = ("object_descriptions", "review_descriptions")


def start_states(camera_names: Iterable[str]) -> list[Publication]:
    """What each camera publishes once at start besides its controls: the description
    switches (retained `OFF`) and `review_status` `NONE` (nothing under review yet)."""
    made: list[Publication] = []
    for camera in camera_names:
        made += [Publication(f"{camera}/{name}/state", "OFF", retain=True, state=True)
                 for name in DESCRIPTION_SWITCHES]
        made.append(review_status(camera, "NONE"))
    return made


def control_states(controls: Iterable[CameraControls]) -> list[ControlState]:
    """The current value of every switch and number of every camera (sent on connect)."""
    return [ControlState(c.camera, name, c.get(name), name in SWITCHES)
            for c in controls for name in c.values]


def set_topic_parts(prefix: str, topic: str) -> tuple[str, str] | None:
    """(camera, control name) of a `<prefix>/<camera>/<name>/set` topic, else None."""
    parts = topic.split("/")
    head = prefix.split("/")
    if len(parts) != len(head) + 3 or parts[:len(head)] != head or parts[-1] != "set":
        return None
    return parts[-3], parts[-2]
