"""What `serve` says at start and where it finds its state: the config file in use (log and
`/api/config`), the URL to open and the first start's admin password after "Roost
started"; models found from any working directory through the data directory; and
`/api/stats` telling plainly when there is no detector model."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from roost.paths import CHECKOUT_ROOT
from tests.conftest import free_port

ROOST = [sys.executable, "-m", "roost.cli"]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def write_config(tmp: Path, video: Path) -> tuple[Path, int, int]:
    api, auth = free_port(), free_port()
    path = tmp / "my-config.yml"
    path.write_text(yaml.safe_dump({
        "mqtt": {"enabled": False}, "api": {"host": "127.0.0.1", "port": api},
        "auth": {"host": "127.0.0.1", "port": auth},
        "cameras": {"yard": {"ffmpeg": {"inputs": [{"path": str(video), "input_args": "-re -stream_loop -1",
                                                     "roles": ["detect"]}]}}}}))  # no detect size: probed
    return path, api, auth


@contextmanager
def serving(config: Path, cwd: Path, env: dict[str, str]) -> Iterator[list[str]]:
    """Run serve until "Roost started" plus the banner; yields the output lines so far."""
    process = subprocess.Popen([*ROOST, "serve", "-c", str(config), "--media-dir", str(cwd / "media")], cwd=cwd,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            lines.append(line)
            if "(no login)" in line:  # the banner's last line (trusted port)
                break
        else:
            pytest.fail("serve did not start:\n" + "".join(lines))
        yield lines
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
        lines.append(rest)
    assert process.returncode == 0, "".join(lines)


def make_video(path: Path) -> Path:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=480x272:rate=10:duration=4", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
    return path


@pytest.mark.slow
def test_start_says_config_url_and_first_password_and_finds_models_from_anywhere(tmp_path: Path) -> None:
    config, api, auth = write_config(tmp_path, make_video(tmp_path / "yard.mp4"))
    env = {k: v for k, v in os.environ.items() if k not in ("ROOST_MODEL_CACHE", "ROOST_DATA_DIR", "CONFIG_FILE")}
    elsewhere = tmp_path / "some" / "other" / "dir"
    elsewhere.mkdir(parents=True)
    if not (CHECKOUT_ROOT / "model_cache" / "detector" / "labelmap.txt").exists():
        pytest.skip("the default detector is not in <checkout>/model_cache (run make setup)")
    with serving(config, elsewhere, env) as lines:
        text = "".join(lines)
        assert f"config: {config.resolve()}" in text
        assert "camera yard: detect size 480x272 (probed from the stream)" in text
        started = next(i for i, line in enumerate(lines) if "Roost started" in line)
        after = "".join(lines[started:])
        assert f"Open http://127.0.0.1:{auth}/" in after and f"http://127.0.0.1:{api}/" in after
        password = re.search(r"password '([^']+)'", after)
        assert password is not None, after
        data = get_json(f"http://127.0.0.1:{api}/api/config")
        assert data["config_file"] == str(config.resolve())
        assert data["cameras"]["yard"]["detect"]["width"] == 480
        stats = get_json(f"http://127.0.0.1:{api}/api/stats")
        assert stats["detector_error"] is None and stats["detectors"], stats  # models found via the data dir
    login = urllib.request.Request(f"http://127.0.0.1:{auth}/api/login", method="POST",
                                   data=json.dumps({"user": "admin", "password": password[1]}).encode(),
                                   headers={"Content-Type": "application/json"})
    with serving(config, elsewhere, env) as lines:  # second start: no password shown again
        with urllib.request.urlopen(login, timeout=10) as response:
            assert response.status == 200  # the password printed at the first start works
        assert "password '" not in "".join(lines)


@pytest.mark.slow
def test_stats_say_when_the_detector_model_is_missing(tmp_path: Path) -> None:
    config, api, _auth = write_config(tmp_path, make_video(tmp_path / "yard.mp4"))
    empty = tmp_path / "no-models"
    empty.mkdir()
    env = {**{k: v for k, v in os.environ.items() if k != "CONFIG_FILE"}, "ROOST_MODEL_CACHE": str(empty)}
    with serving(config, tmp_path, env):
        time.sleep(3)  # frames flow, motion runs
        stats = get_json(f"http://127.0.0.1:{api}/api/stats")
    assert stats["detectors"] == {} and stats["detection_fps"] == 0
    assert stats["cameras"]["yard"]["detection_fps"] == 0
    assert "no object detection" in stats["detector_error"] and str(empty) in stats["detector_error"]
