"""Helpers for the restream tests: a Roost on a simulated RTSP camera, ffprobe, stats."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from roost.app import Supervisor
from roost.config import validate_raw
from roost.paths import model_cache_dir
from roost.restream.simulated import free_port

PASSWORD = "s3cretpass"


def with_password(url: str) -> str:
    """The camera URL with credentials, as users write them (the test camera ignores them)."""
    return url.replace("rtsp://", f"rtsp://admin:{PASSWORD}@", 1)


def roost_on(camera_url: str, media: Path, name: str = "front", record: bool = True,
             width: int = 320, height: int = 240, more_cameras: dict[str, str] | None = None,
             allowed_origins: list[str] | None = None) -> Supervisor:
    """Roost with camera `name` on `camera_url` (detect + record), and `more_cameras`
    (name → URL, detect only)."""
    api_port, rtsp_port = free_port(), free_port()
    extra = {other: {"ffmpeg": {"inputs": [{"path": url, "roles": ["detect"]}]},
                     "detect": {"width": width, "height": height, "fps": 5}}
             for other, url in (more_cameras or {}).items()}
    loaded = validate_raw({
        "mqtt": {"enabled": False},
        "api": {"host": "127.0.0.1", "port": api_port, "allowed_origins": allowed_origins or []},
        "auth": {"enabled": False},
        "go2rtc": {"rtsp": {"listen": f"127.0.0.1:{rtsp_port}"}},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "ffmpeg": {"retry_interval": 1},
        "cameras": {name: {
            "ffmpeg": {"inputs": [{"path": camera_url, "roles": ["detect", "record"] if record else ["detect"]}],
                       "output_args": {"record": "-f segment -segment_time 2 -segment_format mp4 "
                                                 "-reset_timestamps 1 -strftime 1 -c copy -an"}},
            "detect": {"width": width, "height": height, "fps": 5},
            "record": {"enabled": record},
        }, **extra},
    })
    supervisor = Supervisor(loaded, media, model_cache_dir())
    supervisor.start()
    return supervisor


def api(supervisor: Supervisor, path: str) -> httpx.Response:
    port = supervisor.config.api.port
    return httpx.get(f"http://127.0.0.1:{port}/api/{path}", timeout=10)


def probe(url: str) -> dict[str, Any]:
    done = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
                           "-show_streams", "-of", "json", url], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    stream: dict[str, Any] = json.loads(done.stdout)["streams"][0]
    return stream


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def inputs(supervisor: Supervisor, camera: str = "front") -> dict[str, Any]:
    health: dict[str, Any] = supervisor.stats()["cameras"][camera]["inputs"]
    return health
