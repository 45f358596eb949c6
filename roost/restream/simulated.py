"""Simulated RTSP cameras on 127.0.0.1 for the tests, the benchmark and the demo: generated
H.264 clips looped at their own rate by the same streaming-server child the restream
uses, plus the awkward cameras users have: one that drops for a while and comes back,
one whose resolution is not the configured one, one with no video track."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from roost.ffmpeg import ffmpeg_binary
from roost.restream.child import MPEGTS_PIPE_ARGS, ServerChild

CameraKind = Literal["clip", "no_video"]


@dataclass(frozen=True)
class SimulatedCamera:
    name: str
    kind: CameraKind = "clip"
    clip: Path | None = None
    #: Drop every this many seconds for `drop_seconds` (0: only when told, see `drop`).
    drop_every: float = 0.0
    drop_seconds: float = 20.0


def make_clip(path: Path, size: str = "320x240", fps: int = 10, seconds: int = 10, gop: int | None = None,
              source: str = "testsrc2") -> Path:
    """An H.264 clip (no B-frames, a key frame every second by default) from a lavfi source."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"{source}=size={size}:rate={fps}", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-bf", "0", "-g", str(gop or fps), "-keyint_min", str(gop or fps),
                    "-sc_threshold", "0", "-pix_fmt", "yuv420p", str(partial)], check=True, capture_output=True)
    partial.rename(path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loop_argv(clip: Path) -> list[str]:
    """ffmpeg replaying `clip` forever at its own rate as MPEG-TS on stdout, like a live camera."""
    return [ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip),
            "-map", "0:v:0", "-c", "copy", *MPEGTS_PIPE_ARGS]


class SimulatedCameras:
    """A streaming-server child serving `cameras` at `rtsp://127.0.0.1:<port>/<name>`."""

    def __init__(self, cameras: list[SimulatedCamera], port: int | None = None) -> None:
        self.cameras = {c.name: c for c in cameras}
        self.port = port or free_port()
        streams: list[dict[str, Any]] = []
        for camera in cameras:
            if camera.kind == "no_video":
                streams.append({"name": camera.name, "kind": "audio_only"})
                continue
            assert camera.clip is not None, f"camera {camera.name} needs a clip"
            stream: dict[str, Any] = {"name": camera.name, "kind": "ffmpeg", "argv": loop_argv(camera.clip)}
            if camera.drop_every:
                stream.update(drop_every=camera.drop_every, drop_seconds=camera.drop_seconds)
            streams.append(stream)
        self.child = ServerChild({"host": "127.0.0.1", "port": self.port, "streams": streams}, "cameras")

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; returns once every camera with a clip streams."""
        if not self.child.start():
            raise RuntimeError(f"the simulated cameras could not start on port {self.port}: "
                               f"{self.child.last_error or 'see the log'}")
        clips = [c.name for c in self.cameras.values() if c.kind == "clip"]
        deadline = time.monotonic() + timeout
        while any(self.child.status.get(name, {}).get("state") != "streaming" for name in clips):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the simulated cameras did not stream within {timeout:.0f} s: {self.child.status}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.child.stop()

    def drop(self, name: str, seconds: float) -> None:
        """Cut the camera off now: its clients are disconnected and it refuses new ones for `seconds`."""
        self.child.send({"cmd": "drop", "stream": name, "seconds": seconds})

    def restart(self, name: str) -> None:
        """Play the camera's clip from its first frame again; connected clients stay on."""
        self.child.send({"cmd": "restart", "stream": name})

    def clients(self, name: str) -> int:
        """RTSP clients playing the camera now (from the child's last status line, ≤ 1 s old)."""
        return int(self.child.status.get(name, {}).get("clients", 0))

    def __enter__(self) -> SimulatedCameras:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
