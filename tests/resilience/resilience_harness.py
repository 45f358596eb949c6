"""What the fault-injection tests and bench/resilience.py share: a busy generated camera,
a Roost config for it, a ledger of every event change, and kill-and-measure helpers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import psutil
from skimage import data
from sqlalchemy import select

from roost.app import Supervisor
from roost.events.event import EventChange
from roost.ffmpeg import ffmpeg_binary
from roost.record.segments import cache_segments
from roost.restream.simulated import free_port
from roost.store.models import EventRow

WIDTH, HEIGHT, FPS = 640, 360, 5
#: The scene repeats every PERIOD_S: the person crosses during 0..8 s, the cat during 6..14
#: (so into the next period): something always moves (the detector is always asked), and
#: each object leaves for a few seconds per period (events end and new ones start).
PERIOD_S = 12
#: Frames and detections must be back this soon after any kill (issue 14).
RESUME_LIMIT_S = 10.0
KINDS = ("capture", "camera", "detector", "recorder")


def _sprites() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    astronaut = cv2.cvtColor(np.asarray(data.astronaut()), cv2.COLOR_RGB2BGR)[0:512, 60:400]
    cat = cv2.cvtColor(np.asarray(data.chelsea()), cv2.COLOR_RGB2BGR)
    return (np.asarray(cv2.resize(astronaut, (120, 180)), np.uint8),
            np.asarray(cv2.resize(cat, (150, 100)), np.uint8))


def _paste(frame: npt.NDArray[np.uint8], sprite: npt.NDArray[np.uint8], x: int, y: int) -> None:
    h, w = sprite.shape[:2]
    x0, x1 = max(x, 0), min(x + w, frame.shape[1])
    if x1 > x0:
        frame[y:y + h, x0:x1] = sprite[:, x0 - x:x1 - x]


def write_busy_scene(path: Path, periods: int = 2) -> Path:
    """H.264 at 5 fps: the person left→right, the cat right→left, overlapping in time."""
    person, cat = _sprites()
    base = np.full((HEIGHT, WIDTH, 3), (90, 120, 110), np.uint8)
    process = subprocess.Popen(
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{WIDTH}x{HEIGHT}",
         "-r", str(FPS), "-i", "pipe:", "-c:v", "libx264", "-preset", "veryfast", "-g", str(FPS),
         "-pix_fmt", "yuv420p", str(path)], stdin=subprocess.PIPE)
    assert process.stdin is not None
    for index in range(periods * PERIOD_S * FPS):
        t = (index / FPS) % PERIOD_S
        frame = base.copy()
        if t < 8:
            _paste(frame, person, int(-60 + t / 8 * (WIDTH + 60)), 20)
        cat_t = (t - 6) % PERIOD_S
        if cat_t < 8:
            _paste(frame, cat, int(WIDTH - cat_t / 8 * (WIDTH + 90)), 240)
        process.stdin.write(frame.tobytes())
    process.stdin.close()
    assert process.wait(120) == 0
    return path


def raw_config(video: Path, mqtt_port: int | None, record: bool = True, api: bool = False) -> dict[str, Any]:
    roles = ["detect", "record"] if record else ["detect"]
    return {
        "mqtt": {"host": "127.0.0.1", "port": mqtt_port} if mqtt_port else {"enabled": False},
        "go2rtc": {"rtsp": {"listen": f"127.0.0.1:{free_port()}"}},
        "api": {"enabled": api, "host": "127.0.0.1", "port": free_port()} if api else {"enabled": False},
        "auth": {"enabled": False},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "objects": {"track": ["person", "cat"]},
        "snapshots": {"enabled": True},
        "record": {"enabled": record, "retain": {"days": 1}},
        "cameras": {"yard": {
            "ffmpeg": {"retry_interval": 1,
                       "inputs": [{"path": str(video), "roles": roles, "input_args": "-stream_loop -1 -re"}]},
            "detect": {"width": WIDTH, "height": HEIGHT, "fps": FPS}}},
    }


@dataclass
class EventLedger:
    """Every event change Roost publishes on its hub, by event id, in order."""

    changes: dict[str, list[str]] = field(default_factory=dict)

    def attach(self, supervisor: Supervisor) -> None:
        supervisor.hub.subscribe("event-ledger", self._on_message)

    def _on_message(self, message: Any) -> None:
        if isinstance(message, EventChange):
            self.changes.setdefault(message.after.id, []).append(message.type)

    def problems(self, rows: dict[str, EventRow]) -> list[str]:
        """Events lost (published, no row; a row never published), duplicated (more than one
        `new` or `end`) or never ended (no `end`, or a row without an end time)."""
        found = []
        for event_id, kinds in list(self.changes.items()):
            if kinds.count("new") != 1 or kinds.count("end") != 1 or kinds[-1] != "end":
                found.append(f"{event_id}: changes {kinds}")
            if event_id not in rows:
                found.append(f"{event_id}: published, never stored")
        for event_id, row in rows.items():
            if event_id not in self.changes:
                found.append(f"{event_id}: stored, never published")
            if row.end_time is None:
                found.append(f"{event_id}: never ended")
        return found


def event_rows(supervisor: Supervisor) -> dict[str, EventRow]:
    assert supervisor.database is not None
    with supervisor.database.read() as session:
        return {row.id: row for row in session.scalars(select(EventRow))}


@dataclass
class Progress:
    frames: int  # frames the capture read
    result_time: float  # frame time of the newest result the main process handled
    detections: int  # inferences run by every detector
    recording: float  # mtime of the newest cache segment (what a recorder writes)
    recorder_pid: int | None  # the recording ffmpeg running now


def progress(supervisor: Supervisor, camera: str = "yard") -> Progress:
    assert supervisor.pipeline is not None and supervisor.handler is not None
    pipeline = supervisor.pipeline
    latest = supervisor.handler.latest.get(camera)
    detections = sum(v.detections.value for v in pipeline.pool.values.values()) if pipeline.pool else 0
    mtimes = []
    for segment in cache_segments(supervisor.media_dir / "cache"):
        try:
            mtimes.append(segment.path.stat().st_mtime)
        except FileNotFoundError:
            continue
    recorder = next((r.pid for r in supervisor.recorders if r.camera_name == camera), None)
    return Progress(pipeline.cameras[camera].capture_stats.frames.value,
                    latest.frame_time if latest is not None else 0.0, detections, max(mtimes, default=0.0), recorder)


def victim_pid(supervisor: Supervisor, kind: str, camera: str = "yard") -> int | None:
    assert supervisor.pipeline is not None
    procs = supervisor.pipeline.cameras[camera]
    if kind == "capture":
        return int(procs.capture.pid)
    if kind == "camera":
        return int(procs.camera.pid)
    if kind == "detector":
        assert supervisor.pipeline.pool is not None
        return int(next(iter(supervisor.pipeline.pool.processes.values())).pid)
    if kind == "recorder":
        return next((r.pid for r in supervisor.recorders if r.camera_name == camera), None)
    raise ValueError(kind)


def resumed(before: Progress, now: Progress, killed_at: float, kind: str, killed_pid: int) -> bool:
    """Frames read and handled after the kill, detections run after it, and for a recorder
    kill a new recording ffmpeg writing a segment after it."""
    ok = now.frames > before.frames + 2 and now.result_time > killed_at and now.detections > before.detections + 1
    if kind == "recorder":
        ok = ok and now.recorder_pid not in (None, killed_pid) and now.recording > killed_at
    return ok


def kill_and_measure(supervisor: Supervisor, kind: str, limit_s: float = 3 * RESUME_LIMIT_S,
                     log: Callable[[str], None] | None = None) -> float | None:
    """SIGKILL the process of `kind`, then do what `Supervisor.wait` does (restart what died,
    about once a second) until everything runs again; seconds that took, None past `limit_s`."""
    assert supervisor.pipeline is not None
    pid = victim_pid(supervisor, kind)
    if pid is None:
        return None
    # the detector counter is per detector, carried over to its successor: read it after the kill
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    before = progress(supervisor)
    next_restart = time.monotonic()
    while time.time() - killed_at < limit_s:
        if time.monotonic() >= next_restart:
            supervisor.pipeline.restart_crashed()
            next_restart = time.monotonic() + 1.0
        if resumed(before, progress(supervisor), killed_at, kind, pid):
            took = time.time() - killed_at
            if log is not None:
                log(f"kill -9 {kind} (pid {pid}): resumed in {took:.1f} s")
            return took
        time.sleep(0.1)
    if log is not None:
        log(f"kill -9 {kind} (pid {pid}): NOT resumed within {limit_s:.0f} s")
    return None


def kill_plan(kills_per_kind: int, seed: int) -> list[str]:
    plan = [kind for kind in KINDS for _ in range(kills_per_kind)]
    random.Random(seed).shuffle(plan)
    return plan


def roost_children(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True)
                if "resource_tracker" not in " ".join(p.cmdline())]
    except psutil.NoSuchProcess:
        return []


def shm_of(pid: int) -> list[str]:
    """Shared-memory segments owned (by name) by `pid`."""
    return [p.name for p in Path("/dev/shm").glob(f"roost-{pid}-*")]


def summary(figures: dict[str, Any]) -> str:
    return json.dumps(figures, sort_keys=True)
