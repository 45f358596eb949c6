"""The stats JSON has every field CONTRACT.md lists, with sums at the top level."""

from __future__ import annotations

from pathlib import Path

from roost.stats import CameraStats, DetectorStats, build_stats


def test_stats_shape_and_sums(tmp_path: Path) -> None:
    cameras = {"front": CameraStats(5.0, 4.0, 1.0, 2.5, 11, 12, 13, True),
               "back": CameraStats(0.0, 0.0, 0.0, 0.0, None, None, None, False)}
    stats = build_stats(cameras, {"cpu": DetectorStats(12.345, 0.0, None)}, started_at=1000.0,
                        storage_paths=[tmp_path], now=1042.9)
    assert stats["front"] == stats["cameras"]["front"]
    assert set(stats["cameras"]["front"]) == {"camera_fps", "process_fps", "skipped_fps", "detection_fps",
                                              "capture_pid", "pid", "ffmpeg_pid", "detection_enabled", "ffmpeg_error",
                                              "inputs", "stalled"}
    assert stats["cameras"]["back"]["camera_fps"] == 0.0  # unavailable camera
    assert (stats["camera_fps"], stats["process_fps"], stats["skipped_fps"], stats["detection_fps"]) == (5.0, 4.0, 1.0, 2.5)
    assert stats["detectors"]["cpu"] == {"inference_speed": 12.35, "detection_start": 0.0, "pid": None,
                                         "stalled": False}
    service = stats["service"]
    assert service["uptime"] == 42 and service["version"].endswith("-roost")
    assert set(service["storage"][str(tmp_path)]) == {"total", "used", "free", "mount_type"}
    assert service["temperatures"] == {} and stats["gpu_usages"] == {}
    assert all(set(v) == {"cpu", "mem"} for v in stats["cpu_usages"].values())


def test_a_stalled_camera_and_detector_say_so(tmp_path: Path) -> None:
    cameras = {"front": CameraStats(0.0, 0.0, 0.0, 0.0, 11, None, 13, True, stalled=True)}
    stats = build_stats(cameras, {"cpu": DetectorStats(0.0, 0.0, None, stalled=True)}, started_at=1000.0,
                        storage_paths=[tmp_path], now=1042.9)
    assert stats["cameras"]["front"]["stalled"] is True and stats["cameras"]["front"]["process_fps"] == 0.0
    assert stats["detectors"]["cpu"]["stalled"] is True and stats["detectors"]["cpu"]["inference_speed"] == 0.0
