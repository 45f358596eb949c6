"""Commands from clients (`<prefix>/<camera>/<name>/set` on MQTT, the same on the
websocket): they flip the camera's shared `CameraControls`, which the camera and
recorder processes read every frame, and announce the new values as `ControlState`s."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from roost.config.root import RoostConfig
from roost.controls import NUMBERS, SWITCHES, CameraControls
from roost.hub import Hub
from roost.publish.messages import ControlState

logger = logging.getLogger(__name__)

#: Ranges the motion detector accepts for the numeric controls (Frigate's limits).
NUMBER_RANGES = {"motion_threshold": (1, 255), "motion_contour_area": (1, 100_000)}


class CommandError(ValueError):
    """A command that names an unknown camera/control or carries an unusable payload."""


@dataclass(frozen=True)
class ControlChange:
    name: str
    value: int


def parse_value(name: str, payload: str) -> int:
    """`ON`/`OFF` (any case, also true/false/1/0) for switches, an integer for numbers."""
    text = payload.strip()
    if name in SWITCHES:
        lowered = text.lower()
        if lowered in ("on", "true", "1"):
            return 1
        if lowered in ("off", "false", "0"):
            return 0
        raise CommandError(f"{name}: expected ON or OFF, got {text[:20]!r}")
    try:
        value = int(float(text))
    except ValueError:
        raise CommandError(f"{name}: expected a number, got {text[:20]!r}") from None
    low, high = NUMBER_RANGES[name]
    if not low <= value <= high:
        raise CommandError(f"{name}: {value} is outside {low}..{high}")
    return value


def planned_changes(controls: CameraControls, name: str, value: int, record_in_config: bool) -> list[ControlChange]:
    """What a command changes, with Frigate's couplings: detection needs motion (turning
    detect ON turns motion ON; motion cannot go OFF while detect is ON), and recordings can
    only be switched on when `record.enabled` is set in the config."""
    if name == "motion" and not value and controls.is_on("detect"):
        raise CommandError("motion detection cannot be turned off while object detection is on")
    if name == "recordings" and value and not record_in_config:
        raise CommandError("recordings can only be turned on when record.enabled is set in the config")
    changes = [ControlChange(name, value)]
    if name == "detect" and value and not controls.is_on("motion"):
        changes.append(ControlChange("motion", 1))
    return changes


class ControlCommands:
    """Applies commands to the cameras' controls; every change is published on the hub."""

    def __init__(self, config: RoostConfig, controls: Mapping[str, CameraControls], hub: Hub) -> None:
        self.config = config
        self.controls = controls
        self.hub = hub

    def apply(self, camera: str, name: str, payload: str) -> list[ControlState]:
        """Run one command; raises CommandError (with a message for the log) when refused."""
        controls = self.controls.get(camera)
        if controls is None:
            raise CommandError(f"unknown camera {camera!r}; cameras: {', '.join(self.controls)}")
        if name not in SWITCHES and name not in NUMBERS:
            raise CommandError(f"unknown control {name!r}; known: {', '.join((*SWITCHES, *NUMBERS))}")
        value = parse_value(name, payload)
        record_in_config = self.config.cameras[camera].record.enabled if camera in self.config.cameras else False
        states = []
        for change in planned_changes(controls, name, value, record_in_config):
            controls.set(change.name, change.value)
            state = ControlState(camera, change.name, change.value, change.name in SWITCHES)
            self.hub.publish(state)
            states.append(state)
        logger.info("%s: %s set to %s", camera, name, payload.strip())
        return states
