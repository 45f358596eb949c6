"""A real `roost serve` for the hostile-request tests: one camera looping a generated clip
(the pipeline runs), both ports on free ports, the trusted port's host left at its
default, an admin and a viewer with known passwords, and its own TMPDIR so a test can see
every temporary file the server leaves behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from roost.api.users import upsert_user
from roost.ffmpeg import ffmpeg_binary
from roost.store import Database, database_url

REPO = Path(__file__).resolve().parents[2]
ADMIN = ("admin", "admin-password-1")
VIEWER = ("viewer", "viewer-password-1")
STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HostileServer:
    process: subprocess.Popen[bytes]
    workdir: Path
    media: Path
    tmpdir: Path
    config_path: Path
    local: str
    auth: str
    local_port: int
    auth_port: int

    def log(self) -> str:
        return (self.workdir / "serve.log").read_text(errors="replace")

    def wait_for(self, check: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"roost serve exited waiting for {what}:\n{self.log()[-4000:]}")
            try:
                value = check()
            except httpx.HTTPError:
                value = None
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log()[-3000:]}")

    def leftovers(self) -> list[str]:
        """Temporary files and folders Roost (`roost-*`) or Python's tempfile (`tmp*`) left
        in the server's TMPDIR (libraries keep their own dot files there)."""
        return sorted(p.name for p in self.tmpdir.iterdir() if p.name.startswith(("roost", "tmp")))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_hostile_server(workdir: Path, extra: dict[str, Any] | None = None) -> HostileServer:
    video = workdir / "clip.mp4"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10",
                    "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p",
                    str(video)], check=True)
    media, tmpdir = workdir / "media", workdir / "tmp"
    media.mkdir()
    tmpdir.mkdir()
    local_port, auth_port = free_port(), free_port()
    config: dict[str, Any] = {
        "mqtt": {"enabled": False}, "go2rtc": {"rtsp": {"listen": ""}},
        "api": {"port": local_port},                       # host: the default (loopback)
        "auth": {"port": auth_port, "host": "127.0.0.1"},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "cameras": {"yard": {"ffmpeg": {"inputs": [{"path": str(video), "roles": ["detect"],
                                                    "input_args": "-stream_loop -1 -re"}]},
                             "detect": {"width": 320, "height": 240, "fps": 5}}},
        **(extra or {}),
    }
    config_path = workdir / "config.yml"
    config_path.write_text(yaml.safe_dump(config))
    database = Database(database_url(None, None, media))
    try:
        database.migrate()
        upsert_user(database, *ADMIN, "admin")
        upsert_user(database, *VIEWER, "viewer")
    finally:
        database.close()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmpdir),
           "ROOST_MODEL_CACHE": os.environ.get("ROOST_MODEL_CACHE", str(REPO / "model_cache"))}
    env.pop("CONFIG_FILE", None)
    with (workdir / "serve.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "roost.cli", "serve", "-c", str(config_path),
                                    "--media-dir", str(media)], cwd=workdir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    server = HostileServer(process, workdir, media, tmpdir, config_path, f"http://127.0.0.1:{local_port}",
                           f"http://127.0.0.1:{auth_port}", local_port, auth_port)
    try:
        server.wait_for(lambda: "Roost started" in server.log() and httpx.get(f"{server.local}/api/version",
                                                                              timeout=2).status_code == 200,
                        STARTUP_TIMEOUT_S, "roost serve to answer")
    except BaseException:
        server.stop()
        raise
    return server
