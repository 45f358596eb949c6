"""Which saved changes the running pipeline takes without a restart."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from roost.config.live_update import live_changes
from roost.config.loading import validate_raw

BASE: dict[str, Any] = {
    "mqtt": {"enabled": False},
    "cameras": {
        "a": {"ffmpeg": {"inputs": [{"path": "rtsp://cam/a", "roles": ["detect"]}]},
              "detect": {"width": 640, "height": 360},
              "zones": {"door": {"coordinates": "0.1,0.1,0.5,0.1,0.5,0.5"}}},
        "b": {"ffmpeg": {"inputs": [{"path": "rtsp://cam/b", "roles": ["detect"]}]},
              "detect": {"width": 640, "height": 360}},
    },
}


def changed(path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    node = raw
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last)
    else:
        node[last] = value
    return raw


@pytest.mark.parametrize(("path", "value"), [
    ("cameras.a.zones.yard", {"coordinates": "0.5,0.5,1,0.5,1,1", "inertia": 5}),
    ("cameras.a.zones.door", None),
    ("cameras.a.zones.door.loitering_time", 4),
    ("cameras.a.motion.mask", ["0,0,0.2,0,0.2,0.2"]),
    ("cameras.a.motion.threshold", 40),
    ("cameras.a.objects.mask", ["0.1,0.1,0.2,0.1,0.2,0.2"]),
    ("cameras.a.objects.filters", {"person": {"mask": ["0.1,0.1,0.2,0.1,0.2,0.2"]}}),
])
def test_masks_zones_and_motion_tuning_apply_live(path: str, value: Any) -> None:
    result = live_changes(validate_raw(BASE).config, validate_raw(changed(path, value)).config)
    assert result.restart is False, result.why
    assert list(result.cameras) == ["a"]


@pytest.mark.parametrize(("path", "value", "why"), [
    ("cameras.a.detect.fps", 10, "cameras.a"),
    ("cameras.a.objects.track", ["person", "dog"], "cameras.a"),
    ("cameras.a.motion.frame_height", 200, "cameras.a"),
    ("cameras.b", None, "cameras.b removed"),
    ("cameras.c", {"ffmpeg": {"inputs": [{"path": "rtsp://cam/c", "roles": ["detect"]}]}}, "cameras.c added"),
    ("mqtt.host", "broker", "mqtt"),
])
def test_other_changes_need_a_restart(path: str, value: Any, why: str) -> None:
    result = live_changes(validate_raw(BASE).config, validate_raw(changed(path, value)).config)
    assert result.restart is True
    assert why in result.why
    assert result.cameras == {}


def test_no_change_is_nothing_to_do() -> None:
    result = live_changes(validate_raw(BASE).config, validate_raw(copy.deepcopy(BASE)).config)
    assert (result.cameras, result.restart) == ({}, False)
