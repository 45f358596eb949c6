"""`check-config` OK ⇒ `serve` starts: for every config file of the test suite (Frigate's
full example, a current Frigate config, Roost's example config, the README examples, the
built-in demo) and for configs that used to pass check-config and then crash serve.

Each config runs as written except what keeps parallel test runs apart: the listeners on
free loopback ports, the database and media in the test's temp dir.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[3]
ROOST = [sys.executable, "-m", "roost.cli"]
START_TIMEOUT_S = 90.0
ENV = {**os.environ, "FRIGATE_RTSP_PASSWORD": "s3cret"}
ENV.pop("CONFIG_FILE", None)
#: Configs checked at once: each is its own processes, ports and folders, and most of a
#: start is waiting (ffmpeg, the detector loading), so a few overlap well on 2 cores.
PARALLEL = 3


def make_video(path: Path) -> Path:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=size=640x360:rate=10:duration=6", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-g", "10", str(path)], check=True, timeout=60)
    return path


def suite_configs(tmp: Path, postgres_url: str) -> dict[str, dict[str, Any] | None]:
    """name → parsed config (None: no file, the built-in demo)."""
    video = make_video(tmp / "video.mp4")
    configs: dict[str, dict[str, Any] | None] = {"built-in demo": None}
    for path in sorted((REPO / "tests").rglob("*.yml")) + [REPO / "config" / "config.example.yml"]:
        text = path.read_text().replace("@VIDEO@", str(video)).replace("@MEDIA@", str(tmp / "media"))
        configs[str(path.relative_to(REPO))] = yaml.safe_load(text)
    from tests.unit.config.test_reference_examples import MINIMAL, MULTI_INPUT

    configs["README minimal"] = yaml.safe_load(MINIMAL)
    configs["README multi input"] = yaml.safe_load(MULTI_INPUT)
    # Passed check-config and then crashed serve before: a record preset given verbatim to
    # the recorder, a detect size left out, a model file that does not exist.
    base = {"mqtt": {"enabled": False}, "cameras": {"c": {"ffmpeg": {
        "inputs": [{"path": str(video), "input_args": "-re -stream_loop -1", "roles": ["detect", "record"]}]}}}}
    configs["record preset, no detect size"] = {
        **base, "ffmpeg": {"output_args": {"record": "preset-record-generic-audio-copy"}}, "record": {"enabled": True}}
    configs["missing model file"] = {**base, "model": {"path": str(tmp / "no-such-model.onnx")}}
    configs["postgres database"] = {**base, "database": {"url": postgres_url}}
    configs["unreachable database"] = {**base, "database": {
        "url": f"postgresql+psycopg://roost@127.0.0.1:{free_port()}/roost"}}
    return configs


def isolated(raw: dict[str, Any] | None, tmp: Path) -> Path | None:
    if raw is None:
        return None
    raw = dict(raw)
    raw["api"] = {**raw.get("api", {}), "host": "127.0.0.1", "port": free_port()}
    raw["auth"] = {**raw.get("auth", {}), "host": "127.0.0.1", "port": free_port()}
    if isinstance(raw.get("database"), dict) and raw["database"].get("path"):
        raw["database"] = {**raw["database"], "path": str(tmp / "media" / "roost.db")}
    path = tmp / "config.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def serve_starts(config: Path | None, tmp: Path) -> tuple[bool, str]:
    args = [*ROOST, "serve", "--media-dir", str(tmp / "media"), *(["-c", str(config)] if config else [])]
    process = subprocess.Popen(args, cwd=tmp, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output = ""
    deadline = time.monotonic() + START_TIMEOUT_S
    started = False
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output += line
        if "Roost started" in line:
            started = True
            break
        if not line and process.poll() is not None:
            break
    if started:
        time.sleep(1.0)
        started = process.poll() is None
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
    output += rest
    return started and process.returncode == 0 and "Traceback" not in output, output


def check_then_serve(name: str, raw: dict[str, Any] | None, tmp: Path) -> bool:
    """check-config on one config; when it passes, serve must start. Returns check's verdict."""
    work = tmp / name.replace("/", "_").replace(" ", "_")
    work.mkdir()
    config = isolated(raw, work)
    check = subprocess.run([*ROOST, "check-config", "--media-dir", str(work / "media"),
                            *(["-c", str(config)] if config else [])],
                           cwd=work, env=ENV, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in check.stdout + check.stderr, (name, check.stderr)
    if check.returncode != 0:
        assert "error(s)" in check.stderr, (name, check.stderr)
        return False
    ok, output = serve_starts(config, work)
    assert ok, f"check-config accepted {name} but serve did not start:\n{output[-4000:]}"
    return True


@pytest.mark.slow
@pytest.mark.postgres
def test_check_config_ok_means_serve_starts(tmp_path: Path, postgres_url: str) -> None:
    configs = suite_configs(tmp_path, postgres_url)
    with ThreadPoolExecutor(PARALLEL) as pool:
        verdicts = {name: pool.submit(check_then_serve, name, raw, tmp_path) for name, raw in configs.items()}
        results = {name: future.result() for name, future in verdicts.items()}
    # The suite really exercised both sides: configs that pass, and the bad model path.
    assert results["built-in demo"] and results["tests/unit/config/frigate_current_example.yml"]
    assert results["config/config.example.yml"] and results["record preset, no detect size"]
    assert results["postgres database"]
    assert not results["missing model file"] and not results["unreachable database"]
