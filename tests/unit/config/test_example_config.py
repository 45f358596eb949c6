"""`config/config.example.yml`, which the README says to copy, validates as it is, without
warnings, and shows the common keys of a current Frigate config."""

from __future__ import annotations

from pathlib import Path

from roost.config import load_config
from roost.config.effective import effective_config

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "config.example.yml"


def test_example_config_validates_without_warnings() -> None:
    loaded = load_config(EXAMPLE)
    assert loaded.warnings == []
    camera = loaded.config.cameras["front_door"]
    assert camera.ffmpeg.input_with_role("detect") is not camera.ffmpeg.input_with_role("record")
    assert camera.record.enabled and camera.record.events.retain.days_for("person") == 14
    assert camera.record.events.retain.days_for("dog") == 7
    assert camera.zones["driveway"].objects == ["car"]
    assert effective_config(loaded)["config_file"] == str(EXAMPLE)
    text = EXAMPLE.read_text()
    for key in ("mqtt:", "detectors:", "objects:", "ffmpeg:", "record:", "alerts:", "snapshots:", "review:",
                "zones:", "motion:", "hwaccel_args: preset-vaapi"):
        assert key in text, key
