"""Segment names in the cache, their place under recordings/, and the recorder's command."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from roost.config import ConfigError, validate_raw
from roost.config.camera import CameraConfig
from roost.record.command import recorder_command, recorder_stream, segment_seconds
from roost.record.segments import cache_segments, parse_cache_name, recording_path


def camera(ffmpeg: dict[str, Any], **sections: Any) -> CameraConfig:
    raw = {"mqtt": {"enabled": False},
           "cameras": {"front": {"ffmpeg": ffmpeg, "detect": {"width": 320, "height": 240}, **sections}}}
    return validate_raw(raw).config.cameras["front"]


@pytest.mark.parametrize(("name", "expected"), [
    ("front@20240102030405+0000.mp4", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc).timestamp()),
    ("front@20240102030405+0200.mp4", datetime(2024, 1, 2, 1, 4, 5, tzinfo=timezone.utc).timestamp()),
    ("back_2@20240102030405-0130.mp4", datetime(2024, 1, 2, 4, 34, 5, tzinfo=timezone.utc).timestamp()),
    ("front@2024010203040+0000.mp4", None),
    ("front@20241302030405+0000.mp4", None),
    ("fr ont@20240102030405+0000.mp4", None),
    ("front@20240102030405+0000.mkv", None),
])
def test_cache_names_carry_the_start_time_with_its_offset(name: str, expected: float | None) -> None:
    parsed = parse_cache_name(Path("/cache") / name)
    assert (parsed.start_time if parsed else None) == expected


def test_cache_segments_sorted_oldest_first(tmp_path: Path) -> None:
    for name in ("b@20240102030410+0000.mp4", "a@20240102030405+0000.mp4", "junk.txt", "a@20240102030400+0000.mp4"):
        (tmp_path / name).write_bytes(b"")
    assert [s.path.name for s in cache_segments(tmp_path)] == [
        "a@20240102030400+0000.mp4", "a@20240102030405+0000.mp4", "b@20240102030410+0000.mp4"]


def test_recording_path_is_utc_date_hour_camera_minute_second(tmp_path: Path) -> None:
    start = datetime(2024, 1, 2, 23, 59, 58, tzinfo=timezone.utc).timestamp()
    assert recording_path(tmp_path, "front", start) == tmp_path / "2024-01-02" / "23" / "front" / "59.58.mp4"
    with pytest.raises(ValueError):
        recording_path(tmp_path, "../../etc", start)


def test_recorder_command_copies_the_record_input_into_the_cache(tmp_path: Path) -> None:
    cam = camera({"hwaccel_args": "-hwaccel vaapi",
                  "inputs": [{"path": "rtsp://cam/sub", "roles": ["detect"]},
                             {"path": "rtsp://cam/main", "roles": ["record"]}]})
    command = recorder_command("front", cam, tmp_path)
    assert command[command.index("-i") + 1] == "rtsp://cam/main"
    assert "-hwaccel" not in command  # nothing is decoded
    assert ["-c", "copy"] == command[command.index("-c"):command.index("-c") + 2]
    assert "-an" in command and command[-1] == str(tmp_path / "front@%Y%m%d%H%M%S%z.mp4")
    assert segment_seconds(command) == 10.0


def test_legacy_clips_role_records_with_clips_output_args(tmp_path: Path) -> None:
    cam = camera({"output_args": {"clips": "-f segment -segment_time 5 -segment_format mp4 -c copy"},
                  "inputs": [{"path": "rtsp://cam/main", "roles": ["detect", "clips"]}]})
    stream = recorder_stream(cam)
    assert stream is not None and stream.role == "clips"
    command = recorder_command("front", cam, tmp_path)
    assert segment_seconds(command) == 5.0
    assert "-strftime" in command  # added so files are named by time


def test_output_args_without_segment_muxer_name_the_key(tmp_path: Path) -> None:
    """Refused when the config is loaded (so check-config reports it), and again by the
    command builder for a camera changed after loading."""
    ffmpeg = {"output_args": {"record": "-c copy -f mp4"},
              "inputs": [{"path": "rtsp://cam/main", "roles": ["detect", "record"]}]}
    with pytest.raises(ConfigError, match=r"cameras.front.ffmpeg.output_args.record: expected '-f segment'"):
        camera(ffmpeg)
    cam = camera({"inputs": ffmpeg["inputs"]})
    cam.ffmpeg.output_args.record = ["-c", "copy", "-f", "mp4"]
    with pytest.raises(ValueError, match=r"ffmpeg.output_args.record"):
        recorder_command("front", cam, tmp_path)


def test_record_presets_expand_to_segment_args(tmp_path: Path) -> None:
    cam = camera({"output_args": {"record": "preset-record-generic-audio-copy"},
                  "inputs": [{"path": "rtsp://cam/main", "roles": ["detect", "record"]}]})
    command = recorder_command("front", cam, tmp_path)
    tail = command[command.index("rtsp://cam/main") + 1:-1]
    assert tail == ["-f", "segment", "-segment_time", "10", "-segment_format", "mp4", "-reset_timestamps", "1",
                    "-strftime", "1", "-c", "copy"]


def test_camera_without_record_input_has_no_recorder(tmp_path: Path) -> None:
    cam = camera({"inputs": [{"path": "rtsp://cam/main", "roles": ["detect"]}]})
    assert recorder_stream(cam) is None
    with pytest.raises(ValueError, match="record or clips role"):
        recorder_command("front", cam, tmp_path)
