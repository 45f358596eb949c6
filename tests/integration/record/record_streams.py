"""Helpers for the recording tests: generated H.264 streams, camera configs, ffprobe."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from roost.config import CameraConfig, validate_raw
from roost.ffmpeg import ffmpeg_binary
from roost.record.segments import recording_path
from roost.store import Database
from roost.store.models import RecordingRow

FPS = 10
GOP = 10  # one key frame per second
SEGMENT_S = 2


def make_h264(path: Path, seconds: int = 12, size: str = "320x240", bitrate: str = "300k") -> Path:
    """A testsrc H.264 file with a key frame every second and a steady bit rate."""
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc=size={size}:rate={FPS}", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", str(GOP), "-keyint_min", str(GOP), "-sc_threshold", "0",
                    "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate, "-pix_fmt", "yuv420p",
                    str(path)], check=True, capture_output=True)
    return path


def camera_config(source: Path | str, camera: dict[str, Any] | None = None, name: str = "front",
                  segment_s: int = SEGMENT_S, **top: Any) -> CameraConfig:
    """A validated camera on an RTSP URL, or replaying the file `source` in a loop at its
    own rate, like a live camera."""
    looped = {} if isinstance(source, str) else {"input_args": "-re -stream_loop -1"}
    raw: dict[str, Any] = {
        "mqtt": {"enabled": False},
        "cameras": {name: {
            "ffmpeg": {
                "retry_interval": 0.5,
                **looped,
                "output_args": {"record": f"-f segment -segment_time {segment_s} -segment_format mp4 "
                                          "-reset_timestamps 1 -strftime 1 -c copy -an"},
                "inputs": [{"path": str(source), "roles": ["detect", "record"]}],
            },
            "detect": {"width": 320, "height": 240, "fps": FPS},
            "record": {"enabled": True},
            **(camera or {}),
        }},
        **top,
    }
    return validate_raw(raw).config.cameras[name]


def probe_video(path: Path) -> dict[str, Any]:
    done = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                           "-show_format", "-select_streams", "v:0", str(path)],
                          check=True, capture_output=True)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def packet_hashes(path: Path) -> list[str]:
    """MD5 of every video packet, as stream copy keeps them byte for byte."""
    done = subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-i", str(path),
                           "-map", "0:v", "-c", "copy", "-f", "framemd5", "-"], check=True, capture_output=True)
    return [line.rsplit(",", 1)[-1].strip() for line in done.stdout.decode().splitlines()
            if line and not line.startswith("#")]


def slice_hashes(path: Path) -> list[str]:
    """MD5 of every video packet without its parameter sets, SEI and delimiters (NAL types
    6-9): an RTSP camera repeats SPS/PPS in-band and the RTP path adds delimiters, while
    the coded slices of a stream copy stay byte for byte the camera's."""
    done = subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:v",
                           "-c", "copy", "-bsf:v", "filter_units=remove_types=6|7|8|9", "-f", "framemd5", "-"],
                          check=True, capture_output=True)
    return [line.rsplit(",", 1)[-1].strip() for line in done.stdout.decode().splitlines()
            if line and not line.startswith("#")]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def index_split_source(database: Database, media_dir: Path, source: Path, camera: str,
                       start0: float) -> list[RecordingRow]:
    """Split `source` into SEGMENT_S segments (stream copy) and index them as if recorded
    from `start0` on; returns the rows, oldest first. No waiting for a live recorder."""
    work = media_dir / "split"
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-i", str(source), "-c", "copy",
                    "-f", "segment", "-segment_time", str(SEGMENT_S), "-reset_timestamps", "1",
                    str(work / "%03d.mp4")], check=True, capture_output=True)
    rows = []
    start = start0
    for index, part in enumerate(sorted(work.glob("*.mp4"))):
        duration = float(probe_video(part)["format"]["duration"])
        target = recording_path(media_dir / "recordings", camera, start)
        target.parent.mkdir(parents=True, exist_ok=True)
        part.replace(target)
        rows.append(RecordingRow(id=f"{start:.6f}-seg{index:03d}", camera=camera, path=str(target.resolve()),
                                 start_time=start, end_time=start + duration, duration=duration,
                                 motion=1, objects=1, segment_size=target.stat().st_size / 2**20))
        start += duration
    database.write(lambda s: s.add_all(rows))
    return rows
