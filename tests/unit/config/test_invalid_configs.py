"""Invalid configs: each error names the key path, the value and what was expected, and
all errors of a file come out together."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from roost.config import ConfigError, validate_raw


def base() -> dict[str, Any]:
    return {
        "cameras": {
            "back": {
                "ffmpeg": {"inputs": [{"path": "rtsp://cam/stream", "roles": ["detect"]}]},
                "detect": {"width": 1280, "height": 720},
                "objects": {"track": ["person", "car"]},
                "zones": {"steps": {"coordinates": "0,0,100,0,100,100"}},
            }
        }
    }


def with_change(path: str, value: Any) -> dict[str, Any]:
    raw = base()
    node = raw
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return raw


CASES = [
    # (change path, bad value, expected error path, words in the message)
    ("cameras.back.zones.steps.coordinates", "1,2,3", "cameras.back.zones.steps.coordinates", "odd count"),
    ("cameras.back.zones.steps.coordinates", "0,0,5,5", "cameras.back.zones.steps.coordinates", "at least 3 points"),
    ("cameras.back.zones.steps.coordinates", "a,b,c,d,e,f", "cameras.back.zones.steps.coordinates", "must be numbers"),
    ("cameras.back.zones.steps.colour", "red", "cameras.back.zones.steps.colour", "unknown key"),
    ("cameras.back.detect.fps", "fast", "cameras.back.detect.fps", "integer"),
    ("cameras.back.detect.width", 4, "cameras.back.detect.width", "greater than or equal to 16"),
    ("cameras.back.ffmpeg.inputs.0.roles", ["detect", "stream"], "cameras.back.ffmpeg.inputs.0.roles.1", "'detect'"),
    ("cameras.back.ffmpeg.inputs.0.roles", [], "cameras.back.ffmpeg.inputs.0.roles", "at least 1"),
    ("cameras.back.ffmpeg.inputs.0.path", None, "cameras.back.ffmpeg.inputs.0.path", "required key is missing"),
    ("cameras.back.ffmpeg.inputs.0.roles", ["record"], "cameras.back.ffmpeg.inputs", "detect role"),
    ("cameras.back.motion.threshold", 300, "cameras.back.motion.threshold", "less than or equal to 255"),
    ("cameras.back.motion.mask", "base64,AAAA", "cameras.back.motion.mask", "not supported"),
    ("cameras.back.objects.filters", {"person": {"min_score": 1.5}}, "cameras.back.objects.filters.person.min_score", "less than or equal to 1"),
    ("cameras.back.objects.filters", {"person": {"min_area": 500, "max_area": 10}}, "cameras.back.objects.filters.person", "smaller than min_area"),
    ("cameras.back.record.retain.mode", "some", "cameras.back.record.retain.mode", "'all'"),
    ("cameras.back.snapshots.quality", 0, "cameras.back.snapshots.quality", "greater than or equal to 1"),
    ("cameras.back.zones.back", {"coordinates": "0,0,10,0,10,10"}, "cameras.back.zones.back", "same name as a camera"),
    ("cameras.back.zones.steps.objects", ["dog"], "cameras.back.zones.steps", "not in this camera's objects.track"),
    ("cameras.back.snapshots.required_zones", ["garden"], "cameras.back.snapshots.required_zones", "zone 'garden' is not defined"),
    ("cameras.back.record.events.objects", ["bird"], "cameras.back.record.events.objects", "not tracked"),
    ("mqtt.port", 70000, "mqtt.port", "less than or equal to 65535"),
    ("mqtt.enabled", True, "mqtt", "mqtt.host is not set"),
    ("mqtt.topic_prefix", "a/#", "mqtt.topic_prefix", "pattern"),
    ("detectors", {"coral": {"type": "tpu9000"}}, "detectors.coral.type", "'edgetpu'"),
    ("model.input_tensor", "hwcn", "model.input_tensor", "'nhwc' or 'nchw'"),
    ("logger.default", "verbose", "logger.default", "'debug'"),
    ("logger.logs", {"roost.mqtt": "loud"}, "logger.logs.roost.mqtt", "'debug'"),
    ("database", {"path": "/a.db", "url": "sqlite:///b.db"}, "database", "not both"),
    ("ffmpeg.input_args", {"a": 1}, "ffmpeg.input_args", "string or a list"),
    ("cameras.back.ffmpeg.inputs.0.input_args", "-rtsp_transport 'tcp", "cameras.back.ffmpeg.inputs.0.input_args", "cannot split"),
    ("cameras.bad name", {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]}, "width": 640, "height": 480}, "cameras.bad name", "letters, digits"),
    # (a missing detect.width/height is no error since current Frigate: it is probed at start)
    ("snapshots.retain.default", -1, "snapshots.retain.default", "greater than or equal to 0"),
    ("classification", {"custom": {"door": {"threshold": 0.8}}}, "classification.custom.door", "exactly one of state_config or object_config"),
    ("classification", {"custom": {"door": {"state_config": {"cameras": {"front": {"crop": [0, 0, 10, 10]}}}}}}, "classification.custom.door.state_config.cameras.front", "camera 'front' is not defined"),
    ("classification", {"custom": {"door": {"state_config": {"cameras": {"back": {"crop": [0, 0, 2000, 10]}}}}}}, "classification.custom.door.state_config.cameras.back.crop", "outside the 1280x720"),
    ("classification", {"custom": {"door": {"state_config": {"cameras": {"back": {"crop": [0.5, 0, 0.2, 1]}}}}}}, "classification.custom.door.state_config.cameras.back.crop", "x2 > x1"),
    ("classification", {"custom": {"pets": {"object_config": {"objects": ["dog"]}}}}, "classification.custom.pets.object_config.objects", "not tracked by any camera"),
    ("classification", {"custom": {"pets": {"object_config": {"objects": ["person"], "classification_type": "tag"}}}}, "classification.custom.pets.object_config.classification_type", "'sub_label' or 'attribute'"),
    ("classification", {"custom": {"../x": {"object_config": {"objects": ["person"]}}}}, "classification.custom", "letters, digits"),
    ("sausages", 3, "sausages", "unknown key"),
]


@pytest.mark.parametrize(("change", "value", "expected_path", "words"), CASES,
                         ids=[f"{c[2]}:{c[3]}" for c in CASES])
def test_invalid_config_names_the_key_path(change: str, value: Any, expected_path: str, words: str) -> None:
    raw = with_change(change, value)
    if value is None:  # delete the key rather than writing null
        raw["cameras"]["back"]["ffmpeg"]["inputs"][0].pop("path")
    with pytest.raises(ConfigError) as caught:
        validate_raw(raw)
    matching = [i for i in caught.value.issues if i.path == expected_path]
    assert matching, f"no error at {expected_path}; got {[str(i) for i in caught.value.issues]}"
    assert any(words in str(i) for i in matching), [str(i) for i in matching]


def test_all_errors_are_reported_at_once() -> None:
    raw = base()
    raw["mqtt"] = {"port": "x"}
    raw["cameras"]["back"]["detect"]["fps"] = 0
    raw["cameras"]["back"]["zones"]["steps"]["coordinates"] = "1"
    with pytest.raises(ConfigError) as caught:
        validate_raw(raw)
    paths = {i.path for i in caught.value.issues}
    assert {"mqtt.port", "cameras.back.detect.fps", "cameras.back.zones.steps.coordinates"} <= paths
    report = caught.value.report()
    assert "3 error(s)" in report and "(got 'x')" in report


def test_the_base_config_is_valid() -> None:
    assert validate_raw(copy.deepcopy(base())).config.cameras["back"].zones["steps"]
