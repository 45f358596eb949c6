"""Roost stage: publish. MQTT publisher and command handling (`MqttPublisher`), and the topic
layout shared with the websocket (`publications` of a `HubMessage`)."""

from roost.publish.commands import CommandError, ControlCommands
from roost.publish.messages import ControlState, Publication, StatsReport, TrackedObjectUpdate
from roost.publish.publisher import MqttPublisher
from roost.publish.topics import HubMessage, publications

__all__ = [
    "CommandError", "ControlCommands", "ControlState", "HubMessage", "MqttPublisher", "Publication",
    "StatsReport", "TrackedObjectUpdate", "publications",
]
