"""Idle cameras for bench/pipeline.py: what a camera costs when nothing happens, against the
floor of a bare ffmpeg decoding the same stream to the same size and rate.

Two idle scenes, each H.264 1280x720 at 10 fps with temporal sensor noise (ffmpeg's `noise`
filter, strength 8, changing every frame), played in a loop at their own pace (`-re`):
- `held`: vtest.avi's first frame (a plaza with people standing still), scaled and held;
- `static`: a generated still scene (gradients, a few shapes), no people.

For each: the whole Roost (all its processes) with one such camera at detect 1280x720,
5 fps, then the floor: the exact ffmpeg command Roost's capture runs for that camera
(`roost.capture.detect_command`: same input args, fps + scale filters, raw yuv420p out),
writing to /dev/null. Both are CPU seconds over wall seconds, in % of one core.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import psutil

from roost.capture.detect_command import detect_command
from roost.config import validate_raw
from roost.ffmpeg import ffmpeg_binary

IDLE_WIDTH, IDLE_HEIGHT, IDLE_FPS, IDLE_SECONDS = 1280, 720, 10, 20
NOISE = "noise=alls=8:allf=t"
LOOP_ARGS = "-stream_loop -1 -re"


def idle_camera(video: Path) -> dict[str, object]:
    return {"ffmpeg": {"inputs": [{"path": str(video), "roles": ["detect"], "input_args": LOOP_ARGS}]},
            "detect": {"width": IDLE_WIDTH, "height": IDLE_HEIGHT, "fps": 5}}


def _encode_still(still_bgr: np.ndarray, target: Path) -> Path:
    still = target.with_suffix(".png")
    cv2.imwrite(str(still), cv2.resize(still_bgr, (IDLE_WIDTH, IDLE_HEIGHT), interpolation=cv2.INTER_AREA))
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-loop", "1", "-framerate", str(IDLE_FPS), "-i", str(still),
                    "-t", str(IDLE_SECONDS), "-vf", f"{NOISE},format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                    "-g", str(2 * IDLE_FPS), str(target)], check=True)
    return target


def make_idle_scenes(vtest: Path, folder: Path) -> dict[str, Path]:
    """The two idle videos (see the module docstring), made in `folder`."""
    capture = cv2.VideoCapture(str(vtest))
    ok, first = capture.read()
    capture.release()
    if not ok:
        raise RuntimeError(f"{vtest}: no first frame")
    ramp = np.linspace(40, 200, IDLE_WIDTH, dtype=np.float32)
    generated = np.dstack([np.tile(ramp, (IDLE_HEIGHT, 1)) * f for f in (0.7, 0.9, 0.8)]).astype(np.uint8)
    cv2.rectangle(generated, (150, 380), (520, 660), (60, 90, 140), -1)
    cv2.circle(generated, (960, 240), 120, (200, 210, 220), -1)
    cv2.line(generated, (0, 560), (1280, 520), (30, 30, 30), 14)
    return {"held": _encode_still(first, folder / "idle-held.mp4"),
            "static": _encode_still(generated, folder / "idle-static.mp4")}


@dataclass(frozen=True)
class FloorRun:
    cpu_percent: float
    frames_per_s: float


def decode_floor(video: Path, seconds: float, warmup: float = 3.0) -> FloorRun:
    """Roost's own detect ffmpeg command for an idle camera on `video`, to /dev/null."""
    config = validate_raw({"api": {"enabled": False}, "auth": {"enabled": False}, "mqtt": {"enabled": False},
                           "cameras": {"idle": idle_camera(video)}}).config
    camera = config.cameras["idle"]
    command = detect_command(camera, camera.ffmpeg.inputs[0])
    assert command[-1] == "pipe:", command
    command = [*command[:-1], "-progress", "pipe:1", "-nostats", "-y", "/dev/null"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    latest = [0]
    reader = threading.Thread(target=_follow_progress, args=(process, latest), daemon=True)
    reader.start()
    try:
        watched = psutil.Process(process.pid)
        time.sleep(warmup)
        before, started, frames_before = sum(watched.cpu_times()[:4]), time.monotonic(), latest[0]
        time.sleep(seconds)
        used, wall, frames = sum(watched.cpu_times()[:4]) - before, time.monotonic() - started, latest[0] - frames_before
    finally:
        process.kill()
        process.wait()
    return FloorRun(used / wall * 100, frames / wall)


def _follow_progress(process: subprocess.Popen[str], latest: list[int]) -> None:
    """Keep `latest[0]` at the newest `frame=` of ffmpeg's -progress output."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("frame="):
            latest[0] = int(line.split("=", 1)[1])
