"""Fixtures shared across the suite: free ports, a real PostgreSQL cluster and a real
Mosquitto broker, each started by the test run itself in a temp dir."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest
from rtsp_cameras import rtsp_cameras  # noqa: F401  (the RTSP camera fixture, for every test)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise RuntimeError(f"PostgreSQL's {name} not found: run `make setup` (installs Debian's postgresql)")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (initdb/pg_ctl into a temp dir) on a free port.
    PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user
    in a directory of its own directly under /tmp (pytest's temp dirs are root-only)."""
    base = Path(tempfile.mkdtemp(prefix="roost-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    port = free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (base, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(base, 0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*prefix, _postgres_bin("initdb"), "-D", str(data), "-U", "roost", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*prefix, _postgres_bin("pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"),
                    "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
                    "start"], check=True, capture_output=True)
    try:
        subprocess.run([*prefix, _postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "roost", "roost"], check=True, capture_output=True)
        yield f"postgresql+psycopg://roost@127.0.0.1:{port}/roost"
    finally:
        subprocess.run([*prefix, _postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


class Broker:
    """A Mosquitto process the test controls (stop/start keep the same port)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("mosquitto not found: run `make setup` (installs Debian's mosquitto)")
        self.binary = binary
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    broker = Broker(tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """The one Playwright driver of the run: its sync API refuses a second instance while
    one is running, so every browser test (tests/browser and the integration tests that
    open a page) launches Chromium from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running
