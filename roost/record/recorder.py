"""`Recorder`: keeps one camera's recording ffmpeg running while it should record.

The recorder is a thread in the supervisor's process watching an ffmpeg child (the child
does the work: `-c copy`, so Python only looks in once a second). It starts ffmpeg when
the camera's `recordings` switch is on (or when legacy `save_clips` needs the segment
cache), stops it gracefully when the switch goes off (ffmpeg finishes the open segment),
restarts it with a growing back-off when it exits, and kills it when no segment file has
grown for a while (a camera that stopped sending without closing the connection).

ffmpeg dies with the watching thread (parent-death signal), so a supervisor killed with
SIGKILL leaves no recorder behind; the thread therefore ends ffmpeg itself before it
returns. An ffmpeg killed by somebody else (SIGKILL, SIGTERM) is no camera failure: it is
restarted at once.
"""

from __future__ import annotations

import collections
import logging
import signal
import subprocess
import threading
import time
from pathlib import Path

from roost.children.parent_death import preexec_die_with_parent
from roost.config.camera import CameraConfig
from roost.controls import CameraControls
from roost.ffmpeg import is_loopback_url, redact_credentials
from roost.record.command import recorder_command, segment_seconds
from roost.record.ffmpeg_log import FfmpegLog
from roost.record.segments import cache_segments

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
#: A run shorter than this counts as a crash for the back-off.
HEALTHY_RUN_S = 30.0
MAX_BACKOFF_S = 60.0
#: No cache growth for max(this, 3 segments) means ffmpeg is stuck.
MIN_STALL_S = 30.0
STOP_GRACE_S = 5.0
STDERR_TAIL_LINES = 20
#: Reading the local restream: retry within this, the restream itself paces the camera.
LOOPBACK_MAX_RETRY_S = 1.0
#: Quick exits in a row after which the recording input reads "failed".
FAILED_AFTER = 3
#: Exit codes of an ffmpeg that somebody killed: restarted at once, not counted as failures.
KILLED_CODES = (-signal.SIGKILL, -signal.SIGTERM)


class Recorder:
    """Recording of one camera. `start()` / `stop()` from the supervisor; `pid` for stats."""

    def __init__(self, camera_name: str, camera: CameraConfig, cache_dir: Path,
                 controls: CameraControls | None = None, poll_interval: float = POLL_INTERVAL_S) -> None:
        self.camera_name = camera_name
        self.cache_dir = cache_dir
        self.controls = controls
        self.command = recorder_command(camera_name, camera, cache_dir)
        self.segment_s = segment_seconds(self.command)
        self.retry_interval = camera.ffmpeg.retry_interval
        self.max_backoff = MAX_BACKOFF_S
        source = self.command[self.command.index("-i") + 1]
        if is_loopback_url(source):
            self.retry_interval = min(self.retry_interval, LOOPBACK_MAX_RETRY_S / 2)
            self.max_backoff = LOOPBACK_MAX_RETRY_S
        self.stall_after = max(MIN_STALL_S, 3 * self.segment_s)
        self.poll_interval = poll_interval
        self._record_enabled = camera.record.enabled
        self._clips_need_cache = camera.save_clips.enabled
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._next_start = 0.0
        self._backoff = self.retry_interval
        self._quick_exits = 0
        self._killed_by_us = False  # the stall watchdog's kill is a failure, somebody else's is not
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"recorder-{camera_name}", daemon=True)
        self.restarts = 0  # ffmpeg starts after the first, for stats and tests
        self.last_error: str | None = None
        self._ffmpeg_log = FfmpegLog(logging.getLogger(f"{__name__}.ffmpeg.{camera_name}"))

    @property
    def pid(self) -> int | None:
        """The running ffmpeg's pid, None while it is not running."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def should_record(self) -> bool:
        """Recording follows the run-time switches when there are any, else the config.
        Legacy `save_clips` keeps the cache filled even with recordings off: clips are cut from it."""
        if self.controls is None:
            return self._record_enabled or self._clips_need_cache
        if not self.controls.is_on("enabled"):
            return False
        return self.controls.is_on("recordings") or self._clips_need_cache

    def start(self) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ffmpeg (it closes the open segment properly) and the watching thread."""
        self._stopping.set()
        self._thread.join(timeout)
        self._end_ffmpeg("recorder stopping")  # the thread did it already, unless it is stuck

    def _run(self) -> None:
        try:
            self._watch()
        finally:
            self._end_ffmpeg("recorder stopping")  # before this thread ends: ffmpeg dies with it

    def _watch(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick(time.monotonic())
            except OSError as error:  # e.g. ffmpeg binary missing; retry after the back-off
                logger.error("%s: cannot run the recorder's ffmpeg: %s", self.camera_name, error)
                self._next_start = time.monotonic() + self._backoff
            except Exception:  # the watcher must outlive any one bad tick
                logger.exception("%s: recorder watchdog step failed; continuing", self.camera_name)
            self._stopping.wait(self.poll_interval)

    def _tick(self, now: float) -> None:
        process = self._process
        want = self.should_record()
        if process is not None and process.poll() is None:
            if not want:
                self._end_ffmpeg("recordings switched off")
            elif now - self._started_at > self.stall_after and self._idle_for() > self.stall_after:
                logger.warning("%s: no recording data for %.0f s; restarting ffmpeg",
                               self.camera_name, self._idle_for())
                self._killed_by_us = True
                process.kill()
            return
        if process is not None:
            self._note_exit(process, now)
        if want and now >= self._next_start:
            self._spawn(now)

    def _spawn(self, now: float) -> None:
        if self._started_at:
            self.restarts += 1
        logger.info("%s: recording to %s", self.camera_name, self.cache_dir)
        self._stderr_tail.clear()
        self._process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, preexec_fn=preexec_die_with_parent)
        self._started_at = now
        threading.Thread(target=self._read_stderr, args=(self._process,),
                         name=f"recorder-{self.camera_name}-log", daemon=True).start()

    def _note_exit(self, process: subprocess.Popen[bytes], now: float) -> None:
        ran = now - self._started_at
        if process.returncode in KILLED_CODES and not self._killed_by_us:
            logger.error("%s: recording ffmpeg was killed (signal %d) after %.1f s; restarting it now",
                         self.camera_name, -process.returncode, ran)
            self._process, self._next_start = None, now
            return
        self._killed_by_us = False
        if ran >= HEALTHY_RUN_S:
            self._quick_exits = 0
        # retry_interval after a healthy run, doubling with each quick exit in a row.
        self._backoff = min(self.retry_interval * 2 ** self._quick_exits, self.max_backoff)
        if ran < HEALTHY_RUN_S:
            self._quick_exits += 1
        self._next_start = now + self._backoff
        logger.error("%s: recording ffmpeg exited with code %s after %.1f s; retrying in %.1f s. Last output: %s",
                     self.camera_name, process.returncode, ran, self._backoff,
                     redact_credentials(" | ".join(self._stderr_tail)) or "(none)")
        self.last_error = redact_credentials(self._stderr_tail[-1]) if self._stderr_tail else (
            f"exited with code {process.returncode}")
        self._process = None

    def _end_ffmpeg(self, why: str) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        logger.info("%s: stopping recording ffmpeg (%s)", self.camera_name, why)
        process.terminate()
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def health(self) -> tuple[str, str | None, float | None]:
        """(state, last ffmpeg error, seconds since a segment last grew) for `/api/stats`:
        streaming while ffmpeg writes, reconnecting while it restarts, failed after
        several quick exits in a row (it keeps retrying)."""
        if self.pid is None:
            if not self.should_record():
                return "off", self.last_error, None
            state = "failed" if self._quick_exits >= FAILED_AFTER else "reconnecting"
            return state, self.last_error, None
        idle = self._idle_for()
        return ("streaming" if idle < max(10.0, 2 * self.segment_s) else "reconnecting"), self.last_error, round(idle, 1)

    def _idle_for(self) -> float:
        """Seconds since any cache segment of this camera last grew."""
        mtimes = []
        for segment in cache_segments(self.cache_dir):
            if segment.camera == self.camera_name:
                try:
                    mtimes.append(segment.path.stat().st_mtime)
                except FileNotFoundError:
                    continue  # moved by the maintainer meanwhile
        newest = max(mtimes, default=time.time() - (time.monotonic() - self._started_at))
        return time.time() - newest

    def _read_stderr(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line and self._ffmpeg_log.line(redact_credentials(line)):
                self._stderr_tail.append(line)
