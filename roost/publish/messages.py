"""What the publish stage sends: `Publication` (one MQTT message, topic relative to the
prefix) and the hub message types this stage defines. Every hub message type is a member
of `roost.publish.topics.HubMessage`, whose one mapping (`publications`) gives MQTT and the
websocket their topics: a new message type is added there.

Payloads are `str` or `bytes` as sent; `dict`/`list`/numbers are JSON-encoded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class ControlState:
    """A per-camera switch or number changed (by MQTT `/set`, the websocket or the API):
    `<prefix>/<camera>/<name>/state`, retained. Switches are ON/OFF, numbers are ints."""

    camera: str
    name: str
    value: int
    is_switch: bool


@dataclass(frozen=True)
class TrackedObjectUpdate:
    """`<prefix>/tracked_object_update`: a sub label, attribute or classification result
    for a tracked object (`payload` holds `type`, `id`, `camera`, `timestamp`, ...)."""

    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatsReport:
    """The stats JSON (`<prefix>/stats`)."""

    stats: dict[str, Any]
