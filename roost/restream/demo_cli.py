"""`roost demo --rtsp`: simulated RTSP cameras to point a config at, until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

from roost.config.demo import demo_video
from roost.restream.demo import demo_cameras

SAMPLE_CONFIG = """\
# A config for these cameras (each restreamed by Roost at rtsp://<host>:8554/<camera>):
mqtt:
  enabled: false
cameras:
  demo:
    ffmpeg: {{inputs: [{{path: {demo}, roles: [detect, record]}}]}}
    detect: {{width: {width}, height: {height}, fps: 5}}
  flaky:
    ffmpeg: {{inputs: [{{path: {flaky}, roles: [detect, record]}}]}}
    detect: {{width: 640, height: 360, fps: 5}}
  wrong_resolution:
    ffmpeg: {{inputs: [{{path: {wrong}, roles: [detect]}}]}}
    detect: {{width: 640, height: 360, fps: 5}}   # the camera sends 1280x720
  no_video:
    ffmpeg: {{inputs: [{{path: {novideo}, roles: [detect]}}]}}
    detect: {{width: 640, height: 360, fps: 5}}
"""


def serve_demo_cameras(media_dir: Path, port: int) -> int:
    video, (width, height) = demo_video()
    cameras = demo_cameras(media_dir, video, port)
    try:
        cameras.start()
    except RuntimeError as error:
        print(f"error: {error}")
        return 1
    done = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for name in cameras.cameras:
        print(f"camera {name:17s} {cameras.url(name)}")
    print(SAMPLE_CONFIG.format(demo=cameras.url("demo"), flaky=cameras.url("flaky"),
                               wrong=cameras.url("wrong_resolution"), novideo=cameras.url("no_video"),
                               width=width, height=height), flush=True)
    print("serving until Ctrl-C", flush=True)
    while not done.wait(0.5):
        pass
    cameras.stop()
    return 0
