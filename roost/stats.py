"""The stats JSON of `/api/stats` and `<prefix>/stats` (CONTRACT.md "Stats JSON"), built
from per-process figures the supervisor collects."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from roost import FRIGATE_STYLE_VERSION


@dataclass(frozen=True)
class CameraStats:
    camera_fps: float  # frames read from ffmpeg per second
    process_fps: float  # frames the camera process handled per second
    skipped_fps: float  # frames dropped because the camera process was behind
    detection_fps: float  # detector runs per second (regions, not frames)
    capture_pid: int | None
    pid: int | None  # camera process
    ffmpeg_pid: int | None
    detection_enabled: bool
    ffmpeg_error: str = ""  # why the camera's ffmpeg last ended; "" while frames flow
    #: Health of each input (`detect`, `record`, `restream`): state, last_error, seconds_since_frame.
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Its camera or capture process is dead or not turning (Roost's; the rates read 0 then).
    stalled: bool = False


@dataclass(frozen=True)
class DetectorStats:
    inference_speed: float  # ms, moving average
    detection_start: float  # epoch s of the inference in progress, 0.0 when idle
    pid: int | None
    #: Dead, not turning, or stuck in one inference (Roost's; speed reads 0 then).
    stalled: bool = False


def _round(stats: CameraStats) -> dict[str, Any]:
    data = asdict(stats)
    for key in ("camera_fps", "process_fps", "skipped_fps", "detection_fps"):
        data[key] = round(float(data[key]), 1)
    return data


def storage_stats(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """total/used/free in MB for each media path (Frigate's units)."""
    result: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            usage = shutil.disk_usage(path)
        except OSError:
            continue
        mount_type = next((p.fstype for p in psutil.disk_partitions(all=True)
                           if str(path.resolve()).startswith(p.mountpoint)), "")
        result[str(path)] = {"total": round(usage.total / 2**20, 1), "used": round(usage.used / 2**20, 1),
                             "free": round(usage.free / 2**20, 1), "mount_type": mount_type}
    return result


def cpu_usages(pids: list[int]) -> dict[str, dict[str, str]]:
    """CPU % (since the previous call for that pid) and memory % of Roost's processes."""
    usages: dict[str, dict[str, str]] = {}
    for pid in pids:
        try:
            process = _PROCESSES.setdefault(pid, psutil.Process(pid))
            usages[str(pid)] = {"cpu": f"{process.cpu_percent(None):.1f}",
                                "mem": f"{process.memory_percent():.1f}"}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            _PROCESSES.pop(pid, None)
    return usages


_PROCESSES: dict[int, psutil.Process] = {}


def build_stats(cameras: dict[str, CameraStats], detectors: dict[str, DetectorStats],
                started_at: float, storage_paths: list[Path], now: float | None = None,
                detector_error: str | None = None) -> dict[str, Any]:
    """Frigate's stats JSON, plus `detector_error` (Roost's): why no detector runs, or
    None; with an error there are no `detectors` and every `detection_fps` is 0."""
    now = time.time() if now is None else now
    camera_data = {name: _round(stats) for name, stats in cameras.items()}
    pids = [os.getpid()]
    for stats in cameras.values():
        pids += [p for p in (stats.capture_pid, stats.pid, stats.ffmpeg_pid) if p]
    pids += [d.pid for d in detectors.values() if d.pid]
    data: dict[str, Any] = dict(camera_data)
    data.update({
        "cameras": camera_data,
        "detection_fps": round(float(sum(s.detection_fps for s in cameras.values())), 1),
        "camera_fps": round(float(sum(s.camera_fps for s in cameras.values())), 1),
        "process_fps": round(float(sum(s.process_fps for s in cameras.values())), 1),
        "skipped_fps": round(float(sum(s.skipped_fps for s in cameras.values())), 1),
        "detectors": {name: {"inference_speed": round(d.inference_speed, 2),
                             "detection_start": d.detection_start, "pid": d.pid, "stalled": d.stalled}
                      for name, d in detectors.items()},
        "detector_error": detector_error,
        "cpu_usages": cpu_usages(pids),
        "gpu_usages": {},
        "service": {
            "version": FRIGATE_STYLE_VERSION,
            "latest_version": FRIGATE_STYLE_VERSION,
            "uptime": int(now - started_at),
            "temperatures": {},
            "storage": storage_stats(storage_paths),
        },
    })
    return data
