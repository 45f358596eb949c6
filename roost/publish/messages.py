"""What the publish stage sends: `Publication` (one MQTT message, topic relative to the
prefix) and the hub message types this stage defines.

Plug-in protocol for new message types: any object put on the hub that has a method
`to_mqtt_topic_payload() -> Publication | Iterable[Publication]` is published by MQTT and
pushed on the websocket without changes here. For example a state classification result:

    @dataclass(frozen=True)
    class ClassificationState:
        camera: str
        model: str
        state: str

        def to_mqtt_topic_payload(self) -> Publication:
            return Publication(f"{self.camera}/classification/{self.model}", self.state,
                               retain=True, state=True)

Payloads are `str` or `bytes` as sent; `dict`/`list`/numbers are JSON-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Payload = str | bytes | int | float | dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Publication:
    """One MQTT message. `topic` is relative to `mqtt.topic_prefix` (`front/detect/state`).

    `retain` sets the MQTT retain flag; `state` marks a value whose latest copy matters
    (counts, switches, motion, snapshots): the publisher remembers the latest per topic and
    sends it again after a reconnect. Other messages are a feed (events, reviews, stats):
    kept in a bounded backlog while the broker is away and sent once it is back.
    """

    topic: str
    payload: Payload
    retain: bool = False
    state: bool = False

    def wire_payload(self) -> str | bytes:
        if isinstance(self.payload, (str, bytes)):
            return self.payload
        return json.dumps(self.payload)


@runtime_checkable
class MqttMessage(Protocol):
    """A hub message that knows its own MQTT topic(s) and payload(s)."""

    def to_mqtt_topic_payload(self) -> Publication | Iterable[Publication]: ...


@dataclass(frozen=True)
class ControlState:
    """A per-camera switch or number changed (by MQTT `/set`, the websocket or the API):
    `<prefix>/<camera>/<name>/state`, retained. Switches are ON/OFF, numbers are ints."""

    camera: str
    name: str
    value: int
    is_switch: bool

    def to_mqtt_topic_payload(self) -> Publication:
        payload: Payload = ("ON" if self.value else "OFF") if self.is_switch else str(self.value)
        return Publication(f"{self.camera}/{self.name}/state", payload, retain=True, state=True)


@dataclass(frozen=True)
class TrackedObjectUpdate:
    """`<prefix>/tracked_object_update`: a sub label, attribute or classification result
    for a tracked object (`payload` holds `type`, `id`, `camera`, `timestamp`, ...)."""

    payload: dict[str, Any] = field(default_factory=dict)

    def to_mqtt_topic_payload(self) -> Publication:
        return Publication("tracked_object_update", self.payload)


@dataclass(frozen=True)
class StatsReport:
    """The stats JSON (`<prefix>/stats`)."""

    stats: dict[str, Any]

    def to_mqtt_topic_payload(self) -> Publication:
        return Publication("stats", self.stats)
