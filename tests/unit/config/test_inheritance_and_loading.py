"""Global sections inherited per camera, env substitution, file formats, masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from roost.config import ConfigError, load_config, validate_raw
from roost.config.effective import MASK, effective_config

TWO_CAMERAS = """
objects:
  track: [person, dog]
  filters:
    person: {min_area: 1000, threshold: 0.8}
motion:
  threshold: 40
detect:
  fps: 10
record:
  enabled: true
  retain: {days: 3}
  events:
    retain: {default: 7, objects: {person: 20}}
snapshots:
  enabled: true
  height: 300
ffmpeg:
  input_args: -rtsp_transport tcp
cameras:
  front:
    ffmpeg:
      input_args: [-re]
      inputs:
        - path: rtsp://cam1/stream
          roles: [detect, record]
    detect: {width: 640, height: 480}
    motion:
      contour_area: 25
    objects:
      filters:
        person: {min_area: 2000}
    snapshots:
      height: 100
  back:
    ffmpeg:
      inputs:
        - path: rtsp://cam2/stream
          roles: [detect]
          input_args: -stimeout 1
    detect: {width: 1280, height: 720, fps: 5}
    record: {enabled: false}
    objects:
      track: [car]
"""


def load_text(text: str) -> dict:
    return yaml.safe_load(text)


def test_cameras_inherit_global_sections_and_override_key_by_key() -> None:
    config = validate_raw(load_text(TWO_CAMERAS)).config
    front, back = config.cameras["front"], config.cameras["back"]
    assert front.motion.threshold == 40 and front.motion.contour_area == 25
    assert back.motion.threshold == 40 and back.motion.contour_area == 10
    assert front.detect.fps == 10 and back.detect.fps == 5
    # filters merge per label and key: camera min_area, global threshold
    assert front.objects.filters["person"].min_area == 2000
    assert front.objects.filters["person"].threshold == 0.8
    assert front.objects.track == ["person", "dog"]
    assert back.objects.track == ["car"]  # lists replace, they do not merge
    assert front.record.enabled and not back.record.enabled
    assert back.record.retain.days == 3
    assert front.record.events.retain.days_for("person") == 20
    assert front.record.events.retain.days_for("dog") == 7
    assert front.snapshots.height == 100 and back.snapshots.height == 300
    assert back.snapshots.enabled


def test_ffmpeg_args_inherit_global_then_camera_then_input() -> None:
    config = validate_raw(load_text(TWO_CAMERAS)).config
    front, back = config.cameras["front"], config.cameras["back"]
    assert front.ffmpeg.command_args(front.ffmpeg.inputs[0])[2] == ["-re"]
    assert back.ffmpeg.command_args(back.ffmpeg.inputs[0])[2] == ["-stimeout", "1"]
    assert back.ffmpeg.global_args == ["-hide_banner", "-loglevel", "warning"]
    assert back.ffmpeg.output_args.detect == ["-f", "rawvideo", "-pix_fmt", "yuv420p"]


def test_frigate_08_camera_level_keys_fill_detect_and_motion() -> None:
    raw = {"cameras": {"c": {
        "ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
        "width": 800, "height": 600, "fps": 7, "mask": "poly,0,0,10,0,10,10",
        "record": {"enabled": True, "retain_days": 12},
        "snapshots": {"show_timestamp": True, "draw_bounding_boxes": False, "crop_to_region": True},
    }}}
    cam = validate_raw(raw).config.cameras["c"]
    assert (cam.detect.width, cam.detect.height, cam.detect.fps) == (800, 600, 7)
    assert cam.motion.mask == [[(0, 0), (10, 0), (10, 10)]]
    assert cam.record.retain.days == 12
    assert cam.snapshots.timestamp_resolved and not cam.snapshots.bounding_box_resolved
    assert cam.snapshots.crop_resolved


def test_relative_coordinates_become_pixels() -> None:
    raw = load_text(TWO_CAMERAS)
    raw["cameras"]["front"]["zones"] = {"yard": {"coordinates": "0.5,0.5,1.0,0.5,1.0,1.0"}}
    raw["cameras"]["front"]["motion"]["mask"] = ["0.0,0.0,0.25,0.0,0.25,0.5"]
    front = validate_raw(raw).config.cameras["front"]
    assert front.zones["yard"].coordinates == [(320, 240), (640, 240), (640, 480)]
    assert front.motion.mask == [[(0, 0), (160, 0), (160, 240)]]


def test_mask_spellings(tmp_path: Path) -> None:
    raw = load_text(TWO_CAMERAS)
    raw["cameras"]["front"]["motion"]["mask"] = ["poly,0,0,10,0,10,10", "20,20,30,20,30,30"]
    front = validate_raw(raw).config.cameras["front"]
    assert len(front.motion.mask) == 2
    raw["cameras"]["front"]["motion"]["mask"] = ["0,0", "10,0", "10,10"]  # list of "x,y" points
    assert validate_raw(raw).config.cameras["front"].motion.mask == [[(0, 0), (10, 0), (10, 10)]]


def test_env_substitution_and_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = load_text(TWO_CAMERAS)
    raw["mqtt"] = {"host": "broker", "user": "u", "password": "{FRIGATE_MQTT_PASSWORD}"}
    raw["cameras"]["front"]["ffmpeg"]["inputs"][0]["path"] = "rtsp://admin:{FRIGATE_CAM_PW}@cam/live"
    monkeypatch.setenv("FRIGATE_MQTT_PASSWORD", "pw1")
    monkeypatch.delenv("FRIGATE_CAM_PW", raising=False)
    with pytest.raises(ConfigError) as caught:
        validate_raw(raw)
    assert [str(i) for i in caught.value.issues] == [
        "cameras.front.ffmpeg.inputs.0.path: environment variable FRIGATE_CAM_PW is not set (got '{FRIGATE_CAM_PW}')"]
    monkeypatch.setenv("FRIGATE_CAM_PW", "pw2")
    loaded = validate_raw(raw)
    assert loaded.config.mqtt.password == "pw1"
    assert loaded.config.cameras["front"].ffmpeg.inputs[0].path == "rtsp://admin:pw2@cam/live"


def test_environment_vars_section_feeds_substitution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRIGATE_FROM_SECTION", raising=False)
    raw = load_text(TWO_CAMERAS)
    raw["environment_vars"] = {"FRIGATE_FROM_SECTION": "abc"}
    raw["database"] = {"path": "/data/{FRIGATE_FROM_SECTION}.db"}
    assert validate_raw(raw).config.database.path == "/data/abc.db"


def test_effective_config_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRIGATE_TOKEN_IN_URL", "tok123")
    raw = load_text(TWO_CAMERAS)
    raw["mqtt"] = {"host": "broker", "user": "u", "password": "plain"}
    raw["cameras"]["front"]["ffmpeg"]["inputs"][0]["path"] = "rtsp://admin:hunter2@cam/live?t={FRIGATE_TOKEN_IN_URL}"
    data = effective_config(validate_raw(raw))
    text = json.dumps(data)
    assert "hunter2" not in text and "plain" not in text and "tok123" not in text
    assert data["mqtt"]["password"] == MASK
    assert data["cameras"]["front"]["ffmpeg"]["inputs"][0]["path"] == f"rtsp://*:*@cam/live?t={MASK}"
    # keys Home Assistant reads are present even without the feature
    assert data["version"].endswith("-roost")
    assert data["model"]["non_logo_attributes"] == ["face", "license_plate"]
    assert data["model"]["all_attributes"] == ["amazon", "face", "fedex", "license_plate", "ups"]
    front = data["cameras"]["front"]
    assert front["audio"]["enabled_in_config"] is False
    assert front["onvif"]["autotracking"]["enabled_in_config"] is False
    assert front["live"]["streams"] == {} and data["go2rtc"]["streams"] == {}
    assert data["birdseye"]["restream"] is False and data["face_recognition"]["enabled"] is False
    assert data["lpr"] == {"enabled": False, "known_plates": {}}
    assert data["mqtt"]["topic_prefix"] == "frigate"
    assert front["motion"]["threshold"] == 40 and front["detect"]["max_disappeared"] == 20


@pytest.mark.parametrize("suffix", [".yml", ".yaml", ".json"])
def test_yaml_and_json_files_load(tmp_path: Path, suffix: str) -> None:
    raw = load_text(TWO_CAMERAS)
    path = tmp_path / f"config{suffix}"
    path.write_text(json.dumps(raw) if suffix == ".json" else yaml.safe_dump(raw))
    assert set(load_config(path).config.cameras) == {"front", "back"}


def test_unparseable_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("cameras: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in caught.value.report() and "not valid YAML" in caught.value.report()
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(path)


def test_classification_section_both_crop_styles() -> None:
    raw = load_text(TWO_CAMERAS)
    raw["classification"] = {"custom": {
        "door": {"state_config": {"motion": True, "interval": 10, "cameras": {
            "front": {"crop": [0.1, 0.2, 0.5, 0.6]}, "back": {"crop": [0, 180, 220, 400]}}}},
        "pets": {"threshold": 0.9, "object_config": {"objects": ["dog"], "classification_type": "attribute"}},
    }}
    custom = validate_raw(raw).config.classification.custom
    door = custom["door"]
    assert door.save_attempts_resolved == 100 and custom["pets"].save_attempts_resolved == 200
    assert door.state_config is not None
    assert door.state_config.cameras["front"].crop_pixels(640, 480) == (64, 96, 320, 288)
    assert door.state_config.cameras["back"].crop_pixels(1280, 720) == (0, 180, 220, 400)


def test_rtsp_only_default_args_are_dropped_for_files() -> None:
    raw = {"cameras": {
        "file": {"ffmpeg": {"inputs": [{"path": "/videos/a.mp4", "roles": ["detect"]}]},
                 "detect": {"width": 640, "height": 480}},
        "rtsp": {"ffmpeg": {"inputs": [{"path": "rtsp://cam/live", "roles": ["detect"]}]},
                 "detect": {"width": 640, "height": 480}}}}
    config = validate_raw(raw).config
    file_cam, rtsp_cam = config.cameras["file"], config.cameras["rtsp"]
    file_args = file_cam.ffmpeg.command_args(file_cam.ffmpeg.inputs[0])[2]
    rtsp_args = rtsp_cam.ffmpeg.command_args(rtsp_cam.ffmpeg.inputs[0])[2]
    assert "-rtsp_transport" not in file_args and "-timeout" not in file_args
    assert "-fflags" in file_args
    assert rtsp_args[rtsp_args.index("-rtsp_transport") + 1] == "tcp"
