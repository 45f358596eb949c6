"""The supervised streaming-server child: spawned under the system Python (which has
GStreamer's RTSP server from Debian), given its spec on stdin, watched and restarted when
it dies, stopped with Roost. Its status lines feed `/api/stats`; its log lines are passed
on with any URL credentials removed.

Used for the restream and, with other stream kinds, for the simulated RTSP cameras of
the tests and the demo.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from roost.ffmpeg import ffmpeg_binary, redact_credentials
from roost.restream.plan import RestreamPlan, StreamSource

logger = logging.getLogger(__name__)

#: The interpreter with PyGObject + GStreamer (Debian's python3-gi); override for other layouts.
SYSTEM_PYTHON = os.environ.get("ROOST_GST_PYTHON", "/usr/bin/python3")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding `roost/`
READY_TIMEOUT_S = 15.0
MIN_RESTART_S = 1.0
MAX_RESTART_S = 30.0
#: A child that ran this long was healthy: its next restart waits the minimum again.
HEALTHY_RUN_S = 30.0
STOP_GRACE_S = 3.0
#: MPEG-TS on stdout, each packet written at once: ffmpeg's 32 KiB output buffer would
#: otherwise hold up to a second of video and deliver it in bursts.
MPEGTS_PIPE_ARGS = ["-flush_packets", "1", "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", "pipe:1"]
GST_CHECK = ("import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import Gst, GstRtspServer")


@functools.cache
def gstreamer_missing() -> str | None:
    """Why the streaming server cannot run here, or None when it can."""
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", GST_CHECK], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{SYSTEM_PYTHON} cannot run ({error})"
    if done.returncode != 0:
        return ("GStreamer's RTSP server is not installed for the system Python (Debian packages python3-gi, "
                "gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-base/-good/-bad; `make setup` installs them)")
    return None


def ffmpeg_source_argv(source: StreamSource, ffmpeg: str) -> list[str]:
    """ffmpeg copying the first video track of a non-RTSP source to MPEG-TS on stdout."""
    return [ffmpeg, "-hide_banner", "-loglevel", "error", *source.input_args, "-i", source.url,
            "-map", "0:v:0", "-c", "copy", *MPEGTS_PIPE_ARGS]


def restream_spec(plan: RestreamPlan, ffmpeg_path: str = "default") -> dict[str, Any]:
    streams: list[dict[str, Any]] = []
    for source in plan.streams:
        if source.kind == "rtsp":
            streams.append({"name": source.name, "kind": "rtsp", "url": source.url})
        else:
            streams.append({"name": source.name, "kind": "ffmpeg",
                            "argv": ffmpeg_source_argv(source, ffmpeg_binary(ffmpeg_path))})
    return {"host": plan.host, "port": plan.port, "streams": streams}


class ServerChild:
    """One streaming-server child process, kept running until `stop()`."""

    def __init__(self, spec: dict[str, Any], label: str = "restream") -> None:
        self.spec = spec
        self.label = label
        self.status: dict[str, dict[str, Any]] = {}
        self.status_time = 0.0  # monotonic time of the last status line
        self.restarts = 0
        self.last_error: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._log = logging.getLogger(f"{__name__}.{label}")

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def port(self) -> int:
        return int(self.spec["port"])

    def start(self, timeout: float = READY_TIMEOUT_S) -> bool:
        """Start the child and wait until it listens; False (and logged) when it cannot."""
        missing = gstreamer_missing()
        if missing is not None:
            logger.error("%s: %s; running without it", self.label, missing)
            return False
        self._spawn()
        if not self._ready.wait(timeout):
            logger.error("%s: the streaming server did not start listening on port %s within %.0f s: %s",
                         self.label, self.port, timeout, self.last_error or "(no output)")
            self.stop()
            return False
        self._watcher = threading.Thread(target=self._watch, name=f"{self.label}-watch", daemon=True)
        self._watcher.start()
        return True

    def send(self, command: dict[str, Any]) -> None:
        """A command line to the child (e.g. a simulated outage of a test camera)."""
        with self._lock:
            process = self._process
            if process is not None and process.stdin is not None and process.poll() is None:
                process.stdin.write((json.dumps(command) + "\n").encode())
                process.stdin.flush()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the child quits when its stdin closes
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(2)

    def _spawn(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env.pop("PYTHONHOME", None)
        self._ready.clear()
        process = subprocess.Popen([SYSTEM_PYTHON, "-m", "roost.restream.gst_server"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                   start_new_session=True)
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write((json.dumps(self.spec) + "\n").encode())
        process.stdin.flush()
        with self._lock:
            self._process = process
        threading.Thread(target=self._read_status, args=(process.stdout,), daemon=True).start()
        threading.Thread(target=self._read_log, args=(process.stderr,), daemon=True).start()
        self._started_at = time.monotonic()

    def _read_status(self, stream: IO[bytes]) -> None:
        for raw in stream:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if message.get("type") == "ready":
                self._ready.set()
            elif message.get("type") == "status":
                self.status = message.get("streams", {})
                self.status_time = time.monotonic()

    def _read_log(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = redact_credentials(raw.decode(errors="replace").strip())
            if line:
                self.last_error = line
                self._log.warning("%s", line)

    def _watch(self) -> None:
        backoff = MIN_RESTART_S
        while not self._stopping.is_set():
            process = self._process
            if process is None or process.poll() is None:
                self._stopping.wait(0.5)
                continue
            ran = time.monotonic() - self._started_at
            backoff = MIN_RESTART_S if ran >= HEALTHY_RUN_S else min(backoff * 2, MAX_RESTART_S)
            logger.error("%s: the streaming server exited with code %s after %.0f s (%s); restarting in %.0f s",
                         self.label, process.returncode, ran, self.last_error or "no output", backoff)
            self.status = {}
            if self._stopping.wait(backoff):
                return
            self.restarts += 1
            self._spawn()


def restream_url(host: str, port: int, stream: str) -> str:
    """The URL a client on the network uses; never carries credentials (the server has none)."""
    return f"rtsp://{host}:{port}/{stream}"
