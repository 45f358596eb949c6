"""Per-camera switches that clients flip at run time (MQTT `/set`, the API): shared values
created by the supervisor and read by the camera and recorder processes every frame.

Raw values, without `multiprocessing.Value`'s lock: a camera process killed while reading
a switch would otherwise leave that lock taken, and the supervisor (stats, MQTT, events)
would wait on it for good. One byte or one int is read and written whole anyway."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass
from typing import Any

from roost.config.camera import CameraConfig

#: Switches with ON/OFF payloads, in the order of Frigate's `<camera>/<name>/state` topics.
SWITCHES = ("enabled", "detect", "motion", "recordings", "snapshots", "improve_contrast",
            "review_alerts", "review_detections")
#: Switches with numeric payloads.
NUMBERS = ("motion_threshold", "motion_contour_area")


@dataclass
class CameraControls:
    camera: str
    values: dict[str, Any]  # name -> RawValue

    @classmethod
    def from_config(cls, name: str, camera: CameraConfig, context: Any = None) -> "CameraControls":
        ctx = context or mp.get_context("spawn")
        initial: dict[str, Any] = {
            "enabled": camera.enabled,
            "detect": camera.detect.enabled,
            "motion": camera.motion.enabled,
            "recordings": camera.record.enabled,
            "snapshots": camera.snapshots.enabled,
            "improve_contrast": camera.motion.improve_contrast,
            "review_alerts": camera.review.alerts.enabled,
            "review_detections": camera.review.detections.enabled,
            "motion_threshold": camera.motion.threshold,
            "motion_contour_area": camera.motion.contour_area,
        }
        values = {k: ctx.RawValue("b" if k in SWITCHES else "i", int(v)) for k, v in initial.items()}
        return cls(name, values)

    def get(self, name: str) -> int:
        return int(self.values[name].value)

    def is_on(self, name: str) -> bool:
        return bool(self.values[name].value)

    def set(self, name: str, value: int | bool) -> None:
        if name not in self.values:
            raise KeyError(f"unknown control '{name}'; known: {', '.join(self.values)}")
        self.values[name].value = int(value)
