"""Creating and changing classification models at run time through `PUT /api/config/set`:
the file keeps its comments and layout, invalid changes leave it untouched, and the new
model runs without a restart."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx

from roost.app import Supervisor
from roost.config import load_config
from roost.ffmpeg import ffmpeg_binary
from roost.paths import model_cache_dir

CONFIG = """\
# my cameras (this comment must survive)
api:
  port: {port}
auth:
  enabled: false
cameras:
  front:  # the door camera
    ffmpeg:
      inputs:
        - path: {video}
          input_args: -stream_loop -1 -re
          roles: [detect]
    detect: {{width: 320, height: 240, fps: 5}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_config_set_adds_a_model_without_restart(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=5:duration=4",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(video)], check=True)
    port = free_port()
    path = tmp_path / "config.yml"
    path.write_text(CONFIG.format(port=port, video=video))
    supervisor = Supervisor(load_config(path), tmp_path / "media", model_cache_dir())
    supervisor.start()
    base = f"http://127.0.0.1:{port}/api"
    try:
        assert supervisor.api is not None and supervisor.api.wait_started()
        change = {"config_data": {"classification": {"custom": {"door": {
            "threshold": 0.85, "state_config": {"interval": 2, "cameras": {"front": {"crop": [0, 0, 0.5, 0.5]}}}}}}}}
        answer = httpx.put(f"{base}/config/set", json=change, timeout=10).json()
        assert answer == {"success": True, "requires_restart": False, "message": "config saved and applied"}
        text = path.read_text()
        assert "# my cameras (this comment must survive)" in text and "# the door camera" in text
        assert [s.name for s in supervisor.classifiers.states] == ["door"]
        assert httpx.get(f"{base}/classification", timeout=10).json()["door"]["status"] == "untrained"

        bad = httpx.put(f"{base}/config/set?classification.custom.door.threshold=2", timeout=10)
        assert bad.status_code == 400
        assert "classification.custom.door.threshold" in bad.json()["message"]
        assert load_config(path).config.classification.custom["door"].threshold == 0.85  # file untouched

        ok = httpx.put(f"{base}/config/set?classification.custom.door.threshold=0.9", timeout=10).json()
        assert ok["success"] and not ok["requires_restart"]
        assert supervisor.classifiers.states[0].config.threshold == 0.9
        assert httpx.put(f"{base}/config/set?cameras.front.detect.fps=4", timeout=10).json()["requires_restart"] is True
    finally:
        supervisor.stop()
