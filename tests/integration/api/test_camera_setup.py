"""The web UI's camera settings against a running Roost (in-process supervisor, real
ffmpeg): a stream is probed before anything is saved, an unreachable one says why without
its password, a camera added with a password stores a `{FRIGATE_*}` reference, and masks
and zones reach the running camera without a restart."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from roost.api.users import upsert_user
from roost.app import Supervisor
from roost.config import load_config
from roost.ffmpeg import ffmpeg_binary
from roost.paths import model_cache_dir
from roost.restream.simulated import free_port
from roost.store import Database, database_url

CONFIG = """\
# my cameras (this comment must survive)
mqtt: {{enabled: false}}
api:
  port: {port}
auth:
  port: {auth_port}
detectors: {{cpu: {{type: cpu, num_threads: 1}}}}
cameras:
  front:  # the door camera
    ffmpeg:
      inputs:
        - path: {video}
          input_args: -stream_loop -1 -re
          roles: [detect]
    detect: {{width: 320, height: 240, fps: 5}}
"""
PASSWORD = "hunter2-Secret!"
ADMIN = ("admin", "admin-password-1")


def admin(running: tuple[Supervisor, str, Path, Path]) -> httpx.Client:
    """A client logged in as admin on the authenticated port: camera streams change what
    Roost runs, which the trusted port may not change."""
    supervisor = running[0]
    client = httpx.Client(base_url=f"http://127.0.0.1:{supervisor.config.auth.port}/api", timeout=30)
    client.post("/login", json={"user": ADMIN[0], "password": ADMIN[1]}).raise_for_status()
    return client


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Supervisor, str, Path, Path]]:
    tmp = tmp_path_factory.mktemp("camera-setup")
    video = tmp / "v.mp4"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=5:duration=4",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(video)], check=True)
    port = free_port()
    path = tmp / "config.yml"
    path.write_text(CONFIG.format(port=port, auth_port=free_port(), video=video))
    database = Database(database_url(None, None, tmp / "media"))
    try:
        database.migrate()
        upsert_user(database, *ADMIN, "admin")
    finally:
        database.close()
    supervisor = Supervisor(load_config(path), tmp / "media", model_cache_dir())
    supervisor.start()
    try:
        assert supervisor.api is not None and supervisor.api.wait_started()
        yield supervisor, f"http://127.0.0.1:{port}/api", path, video
    finally:
        supervisor.stop()


def test_probe_reads_size_and_a_frame(running: tuple[Supervisor, str, Path, Path]) -> None:
    _, base, _, video = running
    answer = httpx.post(f"{base}/camera_setup/probe", json={"path": str(video)}, timeout=60).json()
    assert answer["success"] is True, answer
    assert (answer["width"], answer["height"], answer["codec"], answer["fps"]) == (320, 240, "h264", 5.0)
    assert answer["frame"].startswith("data:image/jpeg;base64,/9j/")


def test_unreachable_stream_says_why_without_its_password(running: tuple[Supervisor, str, Path, Path],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    _, base, path, _ = running
    before = path.read_text()
    closed = free_port()
    with caplog.at_level(logging.DEBUG):
        started = time.monotonic()
        answer = httpx.post(f"{base}/camera_setup/probe", timeout=60, json={
            "path": f"rtsp://127.0.0.1:{closed}/live", "username": "bob", "password": PASSWORD}).json()
    assert time.monotonic() - started < 30
    assert answer["success"] is False
    assert "Connection refused" in answer["message"] and "ffprobe failed" in answer["message"], answer
    assert PASSWORD not in answer["message"] and PASSWORD not in caplog.text
    assert path.read_text() == before, "a probe saves nothing"
    missing = httpx.post(f"{base}/camera_setup/probe", json={"path": "/no/such/file.mp4"}, timeout=60).json()
    assert missing["success"] is False and "No such file" in missing["message"]


def test_camera_added_with_a_password_stores_a_reference(running: tuple[Supervisor, str, Path, Path],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    _, base, path, _ = running
    body = {"inputs": [{"path": "rtsp://10.9.9.9:554/main", "roles": ["detect", "record"]}], "username": "bob",
            "password": PASSWORD, "width": 640, "height": 360, "fps": 5, "create": True}
    refused = httpx.put(f"{base}/camera_setup/garage", json=body, timeout=30)
    assert refused.status_code == 403 and "authenticated port" in refused.json()["message"]
    api = admin(running)
    with caplog.at_level(logging.DEBUG):
        answer = api.put("/camera_setup/garage", json=body).json()
    assert answer == {"success": True, "requires_restart": True,
                      "message": "camera garage added; restart Roost to apply it"}
    text = path.read_text()
    assert "# my cameras (this comment must survive)" in text and "# the door camera" in text
    raw = yaml.safe_load(text)
    assert raw["cameras"]["garage"]["ffmpeg"]["inputs"][0]["path"] == "rtsp://bob:{FRIGATE_GARAGE_PASSWORD}@10.9.9.9:554/main"
    assert raw["environment_vars"] == {"FRIGATE_GARAGE_PASSWORD": "hunter2-Secret%21"}
    config = httpx.get(f"{base}/config", timeout=10).text
    shown = httpx.get(f"{base}/camera_setup/garage", timeout=10).json()
    assert "hunter2" not in config and "hunter2" not in str(shown) and "hunter2" not in caplog.text
    assert shown["inputs"] == [{"path": "rtsp://10.9.9.9:554/main", "roles": ["detect", "record"], "input_args": None}]
    assert shown["has_password"] is True and shown["username"] == "bob"
    again = api.put("/camera_setup/garage", json=body)
    assert again.status_code == 409
    # Changing the stream without a password keeps the stored reference.
    body.update(create=False, password=None, inputs=[{"path": "rtsp://10.9.9.9:554/sub", "roles": ["detect"]}])
    assert api.put("/camera_setup/garage", json=body).json()["success"]
    assert (yaml.safe_load(path.read_text())["cameras"]["garage"]["ffmpeg"]["inputs"][0]["path"]
            == "rtsp://bob:{FRIGATE_GARAGE_PASSWORD}@10.9.9.9:554/sub")
    bad = api.put("/camera_setup/bad name", json=body)
    assert bad.status_code == 400 and "letters, digits" in bad.json()["message"]
    deleted = api.delete("/camera_setup/garage").json()
    assert deleted["success"] is True
    raw = yaml.safe_load(path.read_text())
    assert "garage" not in raw["cameras"] and not raw.get("environment_vars")


def test_zones_and_masks_reach_the_running_camera(running: tuple[Supervisor, str, Path, Path]) -> None:
    supervisor, base, path, _ = running
    change = {"config_data": {"cameras": {"front": {
        "zones": {"step": {"coordinates": "0.5,0.5,1,0.5,1,1,0.5,1", "objects": ["person"], "inertia": 2}},
        "motion": {"mask": ["0,0,0.25,0,0.25,0.25,0,0.25"]}}}}}
    answer = httpx.put(f"{base}/config/set", json=change, timeout=30).json()
    assert answer == {"success": True, "requires_restart": False, "message": "config saved and applied"}
    assert supervisor.pipeline is not None
    running_camera = supervisor.pipeline.config.cameras["front"]
    assert running_camera.zones["step"].coordinates == [(160, 120), (320, 120), (320, 240), (160, 240)]
    assert running_camera.motion.mask == [[(0, 0), (80, 0), (80, 60), (0, 60)]]
    assert running_camera.ffmpeg.inputs[0].input_args == ["-stream_loop", "-1", "-re"]
    shown = httpx.get(f"{base}/config", timeout=10).json()["cameras"]["front"]
    assert "step" in shown["zones"]
    assert "0.5,0.5,1,0.5" in path.read_text()
    # Motion tuning saved to the file becomes the run-time value of the controls.
    assert httpx.put(f"{base}/config/set?cameras.front.motion.threshold=55", timeout=30).json()["requires_restart"] is False
    assert httpx.get(f"{base}/controls", timeout=10).json()["front"]["motion_threshold"] == 55
