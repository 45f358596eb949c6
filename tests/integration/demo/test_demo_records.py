"""The built-in demo shows every feature out of the box: it records the demo footage
(transcoded once to H.264), and its events get clips within a minute of a fresh start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from roost.config.demo import demo_raw
from tests.conftest import free_port

CLIP_DEADLINE_S = 60.0


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_demo_records_and_its_events_have_clips_within_a_minute(tmp_path: Path) -> None:
    raw = demo_raw()
    [stream] = raw["cameras"]["demo"]["ffmpeg"]["inputs"]
    assert stream["path"].endswith(".mp4") and "record" in stream["roles"] and raw["record"]["enabled"]
    port = free_port()
    raw["api"] = {"host": "127.0.0.1", "port": port}  # the test's own ports; the demo as is otherwise
    raw["auth"] = {"host": "127.0.0.1", "port": free_port()}
    config = tmp_path / "demo.yml"
    config.write_text(yaml.safe_dump(raw))
    env = {**os.environ}
    env.pop("CONFIG_FILE", None)
    process = subprocess.Popen([sys.executable, "-m", "roost.cli", "serve", "-c", str(config), "--media-dir",
                                str(tmp_path / "media")], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/api"
    clipped: list[dict[str, Any]] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Roost started" in line:
                break
            assert process.poll() is None, "serve exited before it started"
        started = time.monotonic()
        while time.monotonic() - started < CLIP_DEADLINE_S and not clipped:
            time.sleep(2)
            clipped = get_json(f"{base}/events?has_clip=1")
        took = time.monotonic() - started
        recordings = get_json(f"{base}/demo/recordings/summary")
        clip = tmp_path / "clip.mp4"  # cut from the recordings on request (no copy is stored per event)
        if clipped:
            clip.write_bytes(urllib.request.urlopen(f"{base}/events/{clipped[0]['id']}/clip.mp4", timeout=60).read())
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert clipped, f"no event with a clip {CLIP_DEADLINE_S:.0f} s after start:\n{output[-3000:]}"
    print(f"first event clip {took:.0f} s after start")
    assert recordings and recordings[0]["hours"][0]["duration"] > 0
    assert process.returncode == 0
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                            str(clip)], capture_output=True, text=True, check=True)
    event = clipped[0]
    expected = event["end_time"] - event["start_time"] + 3 + 3  # demo pre/post capture
    assert abs(float(probe.stdout) - expected) < 4, (probe.stdout, expected)  # key frames are 2 s apart
