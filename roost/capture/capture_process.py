"""The capture process of one camera: an ffmpeg child decodes the detect stream, its
frames go straight into the shared-memory ring, and a semaphore tells the camera process a
new one is there. A watchdog restarts ffmpeg when it exits or stops delivering frames, with
back-off.

Nothing this process shares with others is a lock: the ring is lock-free, the semaphore
has no owner and the figures are plain shared values, so it can be killed at any moment
and its successor (or the camera process reading the ring) carries on.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing as mp
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from roost.children.parent_death import die_with_parent, preexec_die_with_parent
from roost.children.stop_flag import StopFlag
from roost.capture.frame_ring import FrameRing
from roost.config.services import LoggerConfig
from roost.ffmpeg import redact_credentials
from roost.logs import configure_logging

logger = logging.getLogger(__name__)

STDERR_TAIL_LINES = 30
#: After ffmpeg exits, how long to wait for the last of its stderr (the reason it failed).
STDERR_DRAIN_TIMEOUT_S = 2.0
MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
FPS_WINDOW_S = 5.0
#: Room for the last ffmpeg error shown in `/api/stats` (`ffmpeg_error`), bytes.
LAST_ERROR_BYTES = 400
#: The frame semaphore is not raised past this: a camera process that is away (restarting)
#: finds at most this many wake-ups, not one per frame it missed.
MAX_PENDING_WAKEUPS = 2


@dataclass
class CaptureStats:
    """Shared figures of one capture process (read by the supervisor for `/api/stats`).
    Raw shared values, without the lock `multiprocessing.Value` adds: a process killed while
    holding that lock would block every reader (the stats, its successor) for good."""

    camera_fps: Any  # RawValue("d")
    ffmpeg_pid: Any  # RawValue("i")
    capture_pid: Any  # RawValue("i")
    frames: Any  # RawValue("q"): frames read since start
    restarts: Any  # RawValue("i"): ffmpeg starts after the first
    last_frame_time: Any  # RawValue("d"): epoch s of the newest frame, 0.0 before the first
    failures: Any  # RawValue("i"): ffmpeg runs in a row that delivered no frame
    last_error: Any  # RawArray("c"): why ffmpeg last ended (credentials removed), b"" while frames flow

    @classmethod
    def create(cls, context: Any) -> CaptureStats:
        return cls(context.RawValue("d", 0.0), context.RawValue("i", 0), context.RawValue("i", 0),
                   context.RawValue("q", 0), context.RawValue("i", 0), context.RawValue("d", 0.0),
                   context.RawValue("i", 0), context.RawArray("c", LAST_ERROR_BYTES))

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
    max_backoff_s: float = MAX_BACKOFF_S  # small for the local restream: reconnecting costs nothing


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


def run_capture(spec: CaptureSpec, frame_ready: Any, stop: StopFlag, stats: CaptureStats,
                logger_config: LoggerConfig | None = None) -> None:
    """Process entry point; returns when `stop` is set. `frame_ready` is a semaphore raised
    for each new frame in the ring."""
    parent = mp.parent_process()
    die_with_parent(parent.pid if parent is not None else None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us through `stop`
    configure_logging(logger_config or LoggerConfig())
    stats.capture_pid.value = os.getpid()
    ring = FrameRing.attach(spec.ring_name, spec.height, spec.width, spec.slots)
    ffmpeg_log = logging.getLogger(f"roost.capture.ffmpeg.{spec.camera}")
    backoff = MIN_BACKOFF_S
    first = True
    read_rate = _RateMeter()
    try:
        while not stop.is_set():
            if not first:
                stats.restarts.value += 1
            first = False
            delivered = _run_ffmpeg_once(spec, ring, frame_ready, stop, stats, ffmpeg_log, read_rate)
            if stop.is_set():
                break
            stats.failures.value = 0 if delivered else stats.failures.value + 1
            backoff = MIN_BACKOFF_S if delivered else min(backoff * 2, spec.max_backoff_s)
            logger.warning("%s: ffmpeg ended; restarting in %.0f s", spec.camera, backoff)
            stop.wait(backoff)
    finally:
        stats.camera_fps.value = 0.0
        ring.close()


def _run_ffmpeg_once(spec: CaptureSpec, ring: FrameRing, frame_ready: Any, stop: StopFlag,
                     stats: CaptureStats, ffmpeg_log: logging.Logger, read_rate: _RateMeter) -> bool:
    """Run ffmpeg until it exits, stalls or we stop; True if it delivered any frame."""
    try:
        # Own session: a Ctrl-C in the terminal reaches Roost, which stops ffmpeg itself,
        # instead of killing ffmpeg first and looking like a camera failure. It dies with us.
        process = subprocess.Popen(spec.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, bufsize=0, start_new_session=True,
                                   preexec_fn=preexec_die_with_parent)
    except OSError as error:
        logger.error("%s: cannot start ffmpeg (%s): %s", spec.camera, spec.command[0], error)
        return False
    stats.ffmpeg_pid.value = process.pid
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    assert process.stdout is not None and process.stderr is not None
    stderr_reader = threading.Thread(target=_collect_stderr, args=(process.stderr, tail), daemon=True)
    stderr_reader.start()
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
            frame_time = time.time()
            ring.end_write(slot, frame_time)
            now = time.monotonic()
            last_frame[0] = now
            stats.last_frame_time.value = frame_time
            if not delivered:
                stats.last_error.value = b""
            delivered = True
            stats.frames.value += 1
            read_rate.tick(now)
            if frame_ready.get_value() < MAX_PENDING_WAKEUPS:
                frame_ready.release()
            stats.camera_fps.value = read_rate.rate(now)
    finally:
        _end(process)
        stats.ffmpeg_pid.value = 0
        stats.camera_fps.value = 0.0  # no frames until the next ffmpeg delivers
    if not stop.is_set():
        # ffmpeg has exited; its last lines (the reason, e.g. "No such file or directory")
        # may still be in the pipe: read them before saying why it failed.
        stderr_reader.join(timeout=STDERR_DRAIN_TIMEOUT_S)
        why = reason[0] if reason else f"exited with code {process.returncode}"
        stats.last_error.value = redact_credentials(last_error_text(why, list(tail))).encode()[:LAST_ERROR_BYTES - 1]
        ffmpeg_log.error("ffmpeg for %s %s; last output:\n%s", spec.camera, why,
                         redact_credentials("\n".join(tail)) or "(none)")
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


def _watch(process: subprocess.Popen[bytes], last_frame: list[float], timeout: float, stop: StopFlag,
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
