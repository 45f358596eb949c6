"""The `roost` command: check-config, version, serve on the demo config with clean exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOST = [sys.executable, "-m", "roost.cli"]


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("CONFIG_FILE", None) if env is None or "CONFIG_FILE" not in env else None
    return subprocess.run([*ROOST, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60)


def test_check_config_reports_every_error_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"mqtt": {"port": "x"}, "cameras": {"c": {
        "ffmpeg": {"inputs": [{"path": "p", "roles": ["detect"]}]}, "detect": {"width": 640, "height": 480},
        "zones": {"z": {"coordinates": "1,2"}}}}}))
    result = run(["check-config", "-c", str(bad)], tmp_path)
    assert result.returncode == 1
    assert "mqtt.port" in result.stderr and "cameras.c.zones.z.coordinates" in result.stderr
    assert "2 error(s)" in result.stderr


def test_check_config_ok_and_config_file_env(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"cameras": {"c": {"ffmpeg": {"inputs": [{"path": "p", "roles": ["detect"]}]},'
                    ' "detect": {"width": 640, "height": 480}}}, "detectors": {"tpu": {"type": "edgetpu"}}}')
    result = run(["check-config"], tmp_path, env={"CONFIG_FILE": str(good)})
    assert result.returncode == 0, result.stderr
    assert f"Config OK: {good}" in result.stdout
    assert "detectors.tpu.type: 'edgetpu'" in result.stdout


def test_check_config_missing_explicit_file(tmp_path: Path) -> None:
    result = run(["check-config", "-c", str(tmp_path / "nope.yml")], tmp_path)
    assert result.returncode == 1 and "config file not found" in result.stderr


def test_version_and_help(tmp_path: Path) -> None:
    assert run(["version"], tmp_path).stdout.startswith("roost 0.17.0 (API version 0.17.0-roost)")
    for sub in ([], ["serve"], ["check-config"]):
        result = run([*sub, "--help"], tmp_path)
        assert result.returncode == 0 and "usage: roost" in result.stdout


def test_serve_without_config_uses_demo_and_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "ROOST_MODEL_CACHE": os.environ.get("ROOST_MODEL_CACHE", str(Path.cwd() / "model_cache"))}
    env.pop("CONFIG_FILE", None)
    process = subprocess.Popen([*ROOST, "serve", "--media-dir", str(tmp_path / "media")], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = ""
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output += line
        if "Roost started" in line or process.poll() is not None:
            break
    assert "using the demo camera 'demo'" in output, output
    time.sleep(1.0)
    assert process.poll() is None, output  # stays up
    process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
        pytest.fail(f"still running 15 s after SIGINT:\n{output}{rest}")
    assert process.returncode == 0, output + rest
    assert "Roost stopped" in rest
    assert (tmp_path / "media" / "roost.db").exists()


def test_serve_refuses_to_run_when_its_api_port_is_taken(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("0.0.0.0", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({
        "mqtt": {"enabled": False}, "auth": {"enabled": False}, "api": {"port": port},
        "cameras": {"front": {"ffmpeg": {"inputs": [{"path": str(tmp_path / "none.mp4"), "roles": ["detect"]}]},
                              "detect": {"width": 320, "height": 240}}}}))
    try:
        done = run(["serve", "-c", str(config), "--media-dir", str(tmp_path / "media")], tmp_path)
    finally:
        taken.close()
    assert done.returncode == 1, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert f"Roost cannot start: the HTTP API could not listen on 127.0.0.1:{port}" in output  # loopback by default
    assert "Roost started" not in output and "Roost stopped" in output
