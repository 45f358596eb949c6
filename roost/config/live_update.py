"""Which parts of a saved config change the running pipeline can take without a restart.

A camera's masks and zones (motion masks, object masks and filters, zones with their
objects, inertia, loitering time and filters) and its motion tuning (threshold, contour
area, improve contrast) are handed to its running camera process; everything else —
streams, detect size, tracked labels, a camera added or removed, any other section — needs
a restart. Classification models are reconfigured separately (`roost.classify`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roost.config.camera import CameraConfig
from roost.config.root import RoostConfig

#: Per camera: (section, keys) that a running camera process takes (None: the whole section).
LIVE_CAMERA_KEYS: dict[str, frozenset[str] | None] = {
    "zones": None,
    "motion": frozenset({"mask", "threshold", "contour_area", "improve_contrast"}),
    "objects": frozenset({"mask", "filters"}),
}
#: Camera-level keys that hold the same data in an older spelling (Frigate 0.8 `mask`).
LIVE_ALIASES = frozenset({"mask"})


@dataclass(frozen=True)
class LiveChanges:
    """`cameras`: the new config of each camera whose change is live-only; `restart`: True
    when something else changed too (the UI then offers a restart)."""

    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    restart: bool = False
    why: tuple[str, ...] = ()


def _without_live(camera: CameraConfig) -> dict[str, Any]:
    data = camera.model_dump()
    for section, keys in LIVE_CAMERA_KEYS.items():
        if keys is None:
            data.pop(section, None)
        else:
            for key in keys:
                data[section].pop(key, None)
    for alias in LIVE_ALIASES:
        data.pop(alias, None)
    return data


def _live_part(camera: CameraConfig) -> dict[str, Any]:
    data = camera.model_dump()
    return {section: data[section] if keys is None else {k: data[section][k] for k in keys}
            for section, keys in LIVE_CAMERA_KEYS.items()}


def live_changes(old: RoostConfig, new: RoostConfig) -> LiveChanges:
    """Compare the running config with a saved one."""
    why: list[str] = []
    skip = {"cameras", "classification", "environment_vars"}
    old_top, new_top = old.model_dump(exclude=skip), new.model_dump(exclude=skip)
    why += [key for key in sorted(set(old_top) | set(new_top)) if old_top.get(key) != new_top.get(key)]
    added = sorted(set(new.cameras) - set(old.cameras))
    removed = sorted(set(old.cameras) - set(new.cameras))
    why += [f"cameras.{name} added" for name in added] + [f"cameras.{name} removed" for name in removed]
    cameras: dict[str, CameraConfig] = {}
    for name in sorted(set(old.cameras) & set(new.cameras)):
        before, after = old.cameras[name], new.cameras[name]
        if _without_live(before) != _without_live(after):
            why.append(f"cameras.{name}")
        elif _live_part(before) != _live_part(after):
            cameras[name] = after
    return LiveChanges(cameras, bool(why), tuple(why))
