"""Every example config of Frigate's README validates in Roost."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from roost.app import runnable_detectors
from roost.config import validate_raw

HERE = Path(__file__).parent

MINIMAL = """
mqtt:
  host: mqtt.server.com
cameras:
  back:
    ffmpeg:
      inputs:
        - path: rtsp://viewer:{FRIGATE_RTSP_PASSWORD}@10.0.10.10:554/cam/realmonitor?channel=1&subtype=2
          roles:
            - detect
            - rtmp
    width: 1280
    height: 720
    fps: 5
"""

MULTI_INPUT = """
mqtt:
  host: mqtt.server.com
cameras:
  back:
    ffmpeg:
      inputs:
        - path: rtsp://viewer:{FRIGATE_RTSP_PASSWORD}@10.0.10.10:554/cam/realmonitor?channel=1&subtype=2
          roles:
            - detect
            - rtmp
        - path: rtsp://viewer:{FRIGATE_RTSP_PASSWORD}@10.0.10.10:554/live
          roles:
            - clips
            - record
    width: 1280
    height: 720
    fps: 5
"""


@pytest.fixture(autouse=True)
def rtsp_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRIGATE_RTSP_PASSWORD", "s3cret")


def test_full_example_validates_with_its_values() -> None:
    raw = yaml.safe_load((HERE / "frigate_full_example.yml").read_text())
    loaded = validate_raw(raw)
    config = loaded.config
    back = config.cameras["back"]
    assert config.logger.logs == {"frigate.mqtt": "error"}
    assert config.detectors["coral"].type == "edgetpu"
    assert config.model.width == 320
    assert config.mqtt.user == "mqtt_user" and config.mqtt.active
    assert config.save_clips.retain.days_for("person") == 15
    assert back.detect.width == 1280 and back.detect.height == 720 and back.detect.fps == 5
    assert back.detect.max_disappeared == 10  # inherited from the global detect section
    assert back.motion.mask == [[(0, 900), (1080, 900), (1080, 1920), (0, 1920)]]
    assert back.zones["front_steps"].coordinates == [(545, 1077), (747, 939), (788, 805)]
    assert back.zones["front_steps"].filters["person"].min_area == 5000
    assert back.objects.track == ["person", "car"]
    assert back.snapshots.crop_resolved is True and back.snapshots.height == 175
    assert back.ffmpeg.inputs[0].path.startswith("rtsp://viewer:s3cret@")
    # The example's input-level `global_args:` (empty) means "inherit the camera's".
    assert back.ffmpeg.command_args(back.ffmpeg.inputs[0])[0] == ["-hide_banner", "-loglevel", "fatal"]
    # Its out-of-frame zone and mask (y up to 1920 on a 720-high frame) are warnings.
    assert {w.path for w in loaded.warnings} == {
        "cameras.back.zones.front_steps.coordinates", "cameras.back.motion.mask.0"}


def test_edgetpu_detector_validates_and_is_replaced_at_start(caplog: pytest.LogCaptureFixture) -> None:
    loaded = validate_raw(yaml.safe_load((HERE / "frigate_full_example.yml").read_text()))
    detectors = runnable_detectors(loaded)
    assert list(detectors) == ["cpu"] and detectors["cpu"].type == "cpu"
    assert "detectors.coral: type 'edgetpu' cannot run in Roost" in caplog.text


def test_minimal_example_validates() -> None:
    config = validate_raw(yaml.safe_load(MINIMAL)).config
    back = config.cameras["back"]
    assert back.ffmpeg.input_with_role("detect") is back.ffmpeg.inputs[0]
    assert back.detect.frames_until_gone == 10  # default: 2 × fps
    assert list(config.detectors) == ["cpu"]


def test_multi_input_example_validates_with_roles() -> None:
    back = validate_raw(yaml.safe_load(MULTI_INPUT)).config.cameras["back"]
    record = back.ffmpeg.input_with_role("record")
    assert record is not None and record.path.endswith("/live")
    assert back.ffmpeg.input_with_role("clips") is record
