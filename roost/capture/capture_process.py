"""The capture process of one camera: an ffmpeg child decodes the detect stream, its
frames go straight into the shared-memory ring, and a `Frame` per frame goes to the camera
process. A watchdog restarts ffmpeg when it exits or stops delivering frames, with back-off.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing as mp
import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as MpEvent
from typing import IO, Any

from roost.capture.frame import Frame
from roost.capture.frame_ring import FrameRing
from roost.config.services import LoggerConfig
from roost.logs import configure_logging

logger = logging.getLogger(__name__)

STDERR_TAIL_LINES = 30
MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
FPS_WINDOW_S = 5.0
#: Room for the last ffmpeg error shown in `/api/stats` (`ffmpeg_error`), bytes.
LAST_ERROR_BYTES = 400


@dataclass
class CaptureStats:
    """Shared figures of one capture process (read by the supervisor for `/api/stats`)."""

    camera_fps: Synchronized[float]
    skipped_fps: Synchronized[float]
    ffmpeg_pid: Synchronized[int]
    capture_pid: Synchronized[int]
    frames: Synchronized[int]  # frames read since start
    restarts: Synchronized[int]  # ffmpeg starts after the first
    last_error: Any  # multiprocessing char Array: why ffmpeg last ended, b"" while frames flow

    @classmethod
    def create(cls, context: Any) -> CaptureStats:
        return cls(context.Value("d", 0.0), context.Value("d", 0.0), context.Value("i", 0),
                   context.Value("i", 0), context.Value("q", 0), context.Value("i", 0),
                   context.Array("c", LAST_ERROR_BYTES))

    def error_text(self) -> str:
        return bytes(self.last_error.value).decode(errors="replace")


@dataclass(frozen=True)
class CaptureSpec:
    camera: str
    command: list[str]
    ring_name: str
    height: int
    width: int
    slots: int
    stall_timeout_s: float = 10.0  # no frame for this long: restart ffmpeg


class _RateMeter:
    """Events per second over a sliding window."""

    def __init__(self, window: float = FPS_WINDOW_S) -> None:
        self.window = window
        self.times: collections.deque[float] = collections.deque()

    def tick(self, now: float) -> None:
        self.times.append(now)

    def rate(self, now: float) -> float:
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()
        return len(self.times) / self.window


def run_capture(spec: CaptureSpec, frames: mp.Queue[Frame], stop: MpEvent, stats: CaptureStats,
                logger_config: LoggerConfig | None = None) -> None:
    """Process entry point; returns when `stop` is set."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us through `stop`
    configure_logging(logger_config or LoggerConfig())
    stats.capture_pid.value = os.getpid()
    ring = FrameRing.attach(spec.ring_name, spec.height, spec.width, spec.slots)
    ffmpeg_log = logging.getLogger(f"roost.capture.ffmpeg.{spec.camera}")
    backoff = MIN_BACKOFF_S
    first = True
    read_rate, skip_rate = _RateMeter(), _RateMeter()
    try:
        while not stop.is_set():
            if not first:
                stats.restarts.value += 1
            first = False
            delivered = _run_ffmpeg_once(spec, ring, frames, stop, stats, ffmpeg_log, read_rate, skip_rate)
            if stop.is_set():
                break
            backoff = MIN_BACKOFF_S if delivered else min(backoff * 2, MAX_BACKOFF_S)
            logger.warning("%s: ffmpeg ended; restarting in %.0f s", spec.camera, backoff)
            stop.wait(backoff)
    finally:
        stats.camera_fps.value = 0.0
        ring.close()


def _run_ffmpeg_once(spec: CaptureSpec, ring: FrameRing, frames: mp.Queue[Frame], stop: MpEvent,
                     stats: CaptureStats, ffmpeg_log: logging.Logger, read_rate: _RateMeter,
                     skip_rate: _RateMeter) -> bool:
    """Run ffmpeg until it exits, stalls or we stop; True if it delivered any frame."""
    try:
        # Own session: a Ctrl-C in the terminal reaches Roost, which stops ffmpeg itself,
        # instead of killing ffmpeg first and looking like a camera failure.
        process = subprocess.Popen(spec.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, bufsize=0, start_new_session=True)
    except OSError as error:
        logger.error("%s: cannot start ffmpeg (%s): %s", spec.camera, spec.command[0], error)
        return False
    stats.ffmpeg_pid.value = process.pid
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    assert process.stdout is not None and process.stderr is not None
    threading.Thread(target=_collect_stderr, args=(process.stderr, tail), daemon=True).start()
    last_frame = [time.monotonic()]
    reason: list[str] = []
    watchdog = threading.Thread(target=_watch, args=(process, last_frame, spec.stall_timeout_s, stop, reason),
                                daemon=True)
    watchdog.start()
    delivered = False
    try:
        while not stop.is_set():
            slot, target = ring.begin_write()
            if not _read_exact(process.stdout, target):
                break
            ring.end_write(slot)
            now = time.monotonic()
            last_frame[0] = now
            if not delivered:
                stats.last_error.value = b""
            delivered = True
            stats.frames.value += 1
            read_rate.tick(now)
            try:
                frames.put_nowait(Frame(spec.camera, time.time(), spec.height, spec.width, slot))
            except queue.Full:
                skip_rate.tick(now)
            stats.camera_fps.value = read_rate.rate(now)
            stats.skipped_fps.value = skip_rate.rate(now)
    finally:
        _end(process)
        stats.ffmpeg_pid.value = 0
        stats.camera_fps.value = stats.skipped_fps.value = 0.0  # no frames until the next ffmpeg delivers
    if not stop.is_set():
        why = reason[0] if reason else f"exited with code {process.returncode}"
        stats.last_error.value = last_error_text(why, list(tail)).encode()[:LAST_ERROR_BYTES - 1]
        ffmpeg_log.error("ffmpeg for %s %s; last output:\n%s", spec.camera, why, "\n".join(tail) or "(none)")
    return delivered


def last_error_text(why: str, tail: list[str]) -> str:
    """"ffmpeg exited with code 1: <last line it printed>" for the stats and the web UI."""
    last = next((line.strip() for line in reversed(tail) if line.strip()), "")
    return f"ffmpeg {why}: {last}" if last else f"ffmpeg {why}"


def _read_exact(stream: IO[bytes], target: memoryview) -> bool:
    filled = 0
    while filled < len(target):
        count = stream.readinto(target[filled:])  # type: ignore[attr-defined]
        if not count:
            return False
        filled += count
    return True


def _collect_stderr(stream: IO[bytes], tail: collections.deque[str]) -> None:
    for line in iter(stream.readline, b""):
        tail.append(line.decode(errors="replace").rstrip())


def _watch(process: subprocess.Popen[bytes], last_frame: list[float], timeout: float, stop: MpEvent,
           reason: list[str]) -> None:
    while process.poll() is None and not stop.is_set():
        if time.monotonic() - last_frame[0] > timeout:
            reason.append(f"delivered no frame for {timeout:.0f} s")
            process.kill()
            return
        time.sleep(0.5)


def _end(process: subprocess.Popen[bytes]) -> None:
    """Stop a decoding ffmpeg at once. Our end of its stdout is closed first: an ffmpeg
    blocked writing a frame nobody reads any more would otherwise sit out SIGTERM (it
    finishes the write first), and stopping Roost waited seconds for it. A decoder has no
    file to finalise, so nothing is lost by not waiting politely."""
    if process.stdout is not None:
        process.stdout.close()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
