"""Roost stage: publish. MQTT publisher and command handling (`MqttPublisher`), the topic
layout shared with the websocket (`publications`) and the plug-in protocol for new hub
message types (`MqttMessage.to_mqtt_topic_payload`)."""

from roost.publish.commands import CommandError, ControlCommands
from roost.publish.messages import ControlState, MqttMessage, Publication, StatsReport, TrackedObjectUpdate
from roost.publish.publisher import MqttPublisher
from roost.publish.topics import publications

__all__ = [
    "CommandError", "ControlCommands", "ControlState", "MqttMessage", "MqttPublisher", "Publication",
    "StatsReport", "TrackedObjectUpdate", "publications",
]
