"""A current Frigate (0.14-0.16) config: its keys validate and are honoured where Roost can,
the features Roost lacks give one warning each naming the key, presets expand to ffmpeg
arguments and an unknown preset is an error at its key path; detect sizes are optional."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from roost.capture.detect_command import detect_command
from roost.config import ConfigError, validate_raw
from roost.config.detect_size import DEFAULT_DETECT_SIZE, fill_detect_sizes
from roost.config.effective import effective_config
from roost.config.ffmpeg_presets import DETECT_SCALE, HWACCEL, INPUT, RECORD_OUTPUT
from roost.record.command import recorder_command

HERE = Path(__file__).parent
CURRENT = HERE / "frigate_current_example.yml"


def current_raw(video: str = "/tmp/demo.mp4", media: str = "/tmp/media") -> dict[str, Any]:
    text = CURRENT.read_text().replace("@VIDEO@", video).replace("@MEDIA@", media)
    raw: dict[str, Any] = yaml.safe_load(text)
    return raw


def test_current_frigate_config_validates_with_one_warning_per_ignored_feature() -> None:
    loaded = validate_raw(current_raw())
    paths = [w.path for w in loaded.warnings]
    for key in ("face_recognition", "lpr", "semantic_search", "genai", "birdseye", "tls", "proxy",
                "cameras.front_door.onvif", "cameras.front_door.zones.street.speed_threshold",
                "detect.min_initialized"):
        assert paths.count(key) == 1, (key, paths)
    assert all("ignored" in str(w) for w in loaded.warnings)
    # audio is written with enabled: false, objects.genai too: nothing to warn about.
    assert "audio" not in paths and "objects.genai" not in paths
    # Inherited sections are reported once, at the path the user wrote, not per camera.
    assert "cameras.front_door.birdseye" not in paths and "cameras.front_door.detect.min_initialized" not in paths
    # Keys Roost honours are no warnings.
    assert not [p for p in paths if p.startswith(("record", "live", "go2rtc", "ffmpeg", "cameras.front_door.live"))]


def test_record_alerts_and_detections_set_clip_padding_and_retention() -> None:
    camera = validate_raw(current_raw()).config.cameras["front_door"]
    events = camera.record.events
    assert (events.pre_capture, events.post_capture) == (4, 6)  # the larger of alerts (4, 6) / detections (2, 3)
    assert events.retain.days_for("person") == 30 and events.retain.days_for("car") == 30  # alert labels
    assert events.retain.days_for("dog") == 7  # everything else: detections.retain.days
    assert camera.record.retain.days == 3


def test_record_events_written_explicitly_wins_over_severities() -> None:
    raw = current_raw()
    raw["record"]["events"] = {"pre_capture": 9, "post_capture": 9}
    events = validate_raw(raw).config.cameras["front_door"].record.events
    assert (events.pre_capture, events.post_capture) == (9, 9)


def test_live_streams_and_go2rtc_are_in_the_effective_config() -> None:
    loaded = validate_raw(current_raw())
    data = effective_config(loaded)
    assert data["cameras"]["front_door"]["live"]["streams"] == {"Main": "front_door", "Sub": "front_door_sub"}
    assert set(data["go2rtc"]["streams"]) == {"front_door", "front_door_sub"}
    assert data["go2rtc"]["webrtc"]["candidates"] == ["192.168.1.10:8555"]  # kept whole
    assert "password@" not in str(data["go2rtc"])  # credentials in stream URLs masked
    assert data["config_file"] == "built-in demo"  # validate_raw without a source
    raw = current_raw()
    raw["cameras"]["front_door"]["live"] = {"stream_name": "porch"}  # Frigate 0.14 spelling
    assert effective_config(validate_raw(raw))["cameras"]["front_door"]["live"]["streams"] == {"porch": "porch"}


def test_presets_expand_into_the_detect_and_record_commands(tmp_path: Path) -> None:
    raw = current_raw()
    raw["cameras"]["front_door"]["ffmpeg"]["inputs"] = [
        {"path": "rtsp://10.0.0.2/main", "roles": ["record"]},
        {"path": "rtsp://10.0.0.2/sub", "roles": ["detect"], "input_args": "preset-rtsp-restream"}]
    camera = validate_raw(raw).config.cameras["front_door"]
    detect = detect_command(camera, camera.ffmpeg.inputs[1])
    before_input = detect[:detect.index("-i")]
    assert before_input[-4:] == ["-rtsp_transport", "tcp", "-timeout", "5000000"]  # preset-rtsp-restream
    assert ["-hwaccel", "vaapi", "-hwaccel_device", "/dev/dri/renderD128"] == \
        before_input[before_input.index("-hwaccel"):before_input.index("-hwaccel") + 4]
    vf = detect[detect.index("-vf") + 1]
    assert vf.startswith("fps=5,scale_vaapi=w=640:h=360") and "hwdownload" in vf
    assert "preset-vaapi" not in detect and not any(a.startswith("preset-") for a in detect)
    record = recorder_command("front_door", camera, tmp_path)
    assert "-hwaccel" not in record  # a stream copy decodes nothing
    before_record_input = record[record.index("-threads") + 2:record.index("-i")]
    assert before_record_input == ["-avoid_negative_ts", "make_zero", "-fflags", "+genpts+discardcorrupt",
                                   "-rtsp_transport", "tcp", "-timeout", "5000000",
                                   "-use_wallclock_as_timestamps", "1"]  # preset-rtsp-generic
    assert record[-3:-1] == ["-c", "copy"] and "-an" not in record  # preset-record-generic-audio-copy


@pytest.mark.parametrize(("where", "value", "path"), [
    ("ffmpeg.hwaccel_args", "preset-vaapii", "ffmpeg.hwaccel_args"),
    ("ffmpeg.input_args", "preset-rtsp-nope", "ffmpeg.input_args"),
    ("ffmpeg.output_args.record", "preset-record-loud", "ffmpeg.output_args.record"),
    ("cameras.front_door.ffmpeg.inputs.0.input_args", "preset-http-nope", "cameras.front_door.ffmpeg.inputs.0.input_args"),
    ("ffmpeg.input_args", "-re preset-rtsp-generic", "ffmpeg.input_args"),
])
def test_unknown_preset_is_an_error_naming_the_key_path(where: str, value: str, path: str) -> None:
    raw = current_raw()
    node: Any = raw
    *parents, last = where.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[last] = value
    with pytest.raises(ConfigError) as caught:
        validate_raw(raw)
    [issue] = caught.value.issues
    assert issue.path == path and "preset" in issue.message, str(caught.value)


def test_every_preset_table_entry_expands_to_plain_ffmpeg_args() -> None:
    for table in (HWACCEL, INPUT, RECORD_OUTPUT):
        for name in table:
            raw = current_raw()
            key = {id(HWACCEL): "hwaccel_args", id(INPUT): "input_args"}.get(id(table))
            if key:
                raw["cameras"]["front_door"]["ffmpeg"]["inputs"][0][key] = name
            else:
                raw["ffmpeg"]["output_args"]["record"] = name
            camera = validate_raw(raw).config.cameras["front_door"]
            command = detect_command(camera, camera.ffmpeg.inputs[0]) + recorder_command("front_door", camera, Path("/tmp"))
            assert not any("{" in a or a.startswith("preset-") for a in command), (name, command)
    assert set(HWACCEL) <= set(DETECT_SCALE)


def test_hwaccel_auto_means_ffmpegs_own_choice() -> None:
    raw = current_raw()
    raw["cameras"]["front_door"]["ffmpeg"]["inputs"][0]["hwaccel_args"] = "auto"
    camera = validate_raw(raw).config.cameras["front_door"]
    command = detect_command(camera, camera.ffmpeg.inputs[0])
    assert command[command.index("-hwaccel"):command.index("-hwaccel") + 2] == ["-hwaccel", "auto"]
    assert command[command.index("-vf") + 1] == "fps=5,scale=640:360"


def test_detect_size_is_optional_and_filled_by_probing() -> None:
    raw = current_raw()
    del raw["cameras"]["front_door"]["detect"]["width"], raw["cameras"]["front_door"]["detect"]["height"]
    second = copy.deepcopy(raw["cameras"]["front_door"])
    second.pop("zones")
    raw["cameras"]["offline"] = second
    config = validate_raw(raw).config
    assert config.cameras["front_door"].detect.width is None
    probed = {"front_door": (1920, 1080), "offline": None}
    warnings = fill_detect_sizes(config.cameras, lambda cam: probed[next(
        n for n, c in config.cameras.items() if c is cam)])
    assert config.cameras["front_door"].frame_shape == (1080, 1920)
    assert config.cameras["offline"].frame_shape == (DEFAULT_DETECT_SIZE[1], DEFAULT_DETECT_SIZE[0])
    assert [w.path for w in warnings] == ["cameras.offline.detect"]


def test_frigate_bundled_ffmpeg_versions_mean_roosts_ffmpeg() -> None:
    raw = current_raw()
    raw["ffmpeg"]["path"] = "7.0"  # Frigate 0.15+: pick its bundled ffmpeg 7
    raw["model"]["attributes_map"] = {"person": ["face"]}
    loaded = validate_raw(raw)
    camera = loaded.config.cameras["front_door"]
    assert Path(detect_command(camera, camera.ffmpeg.inputs[0])[0]).name == "ffmpeg"
    # attributes_map is honoured now (roost.track.attributes): no "ignored" warning
    assert "model.attributes_map" not in [w.path for w in loaded.warnings]
    assert loaded.config.model.all_attributes == ["face"]


def test_relative_zones_of_a_probed_camera_become_pixels_of_the_probed_size() -> None:
    from roost.config.startup import resolve_detect_sizes

    raw = current_raw()
    del raw["cameras"]["front_door"]["detect"]["width"], raw["cameras"]["front_door"]["detect"]["height"]
    config = validate_raw(raw).config
    errors, warnings = resolve_detect_sizes(config, lambda _camera: (1000, 500))
    assert errors == [] and warnings == []
    # 0.0,0.5,1.0,0.5,1.0,1.0,0.0,1.0 of a 1000x500 frame
    assert config.cameras["front_door"].zones["street"].coordinates == [(0, 250), (1000, 250), (1000, 500), (0, 500)]
