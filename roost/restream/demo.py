"""The demo's cameras served over RTSP, so the demo runs the path users' cameras take
(RTSP camera → restream → detect/record): the built-in demo camera of `make run`, and
`roost demo --rtsp`, which serves a set of awkward cameras to point a config at."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
from pathlib import Path

from roost.config.loading import LoadedConfig
from roost.ffmpeg import ffmpeg_binary
from roost.restream.simulated import SimulatedCamera, SimulatedCameras, make_clip

logger = logging.getLogger(__name__)

DEMO_STREAM = "demo"


def cache_dir() -> Path:
    """Where the transcoded demo clip is kept across runs (XDG cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "roost" / "demo"


def h264_demo_clip(video: Path, media_dir: Path) -> Path:
    """The demo footage as H.264 (vtest.avi is MS-MPEG4, which RTSP cameras don't send),
    transcoded once into the user's cache (else the media folder); a file that is H.264
    already is used as is."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name",
                            "-of", "csv=p=0", str(video)], capture_output=True, text=True)
    if probe.stdout.strip() == "h264":
        return video
    target = cache_dir() / f"{video.stem}-{video.stat().st_size}-h264.mp4"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        target = media_dir / "demo" / target.name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        logger.info("demo: transcoding %s to H.264 once (%s)", video, target)
        partial = target.with_suffix(f".{os.getpid()}.partial.mp4")
        subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(video), "-an",
                        "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p",
                        str(partial)], check=True, timeout=300)
        partial.rename(target)
    return target


def is_builtin_demo(loaded: LoadedConfig) -> bool:
    """The built-in demo config (no config file, the one camera `demo` playing a file)."""
    cameras = loaded.config.cameras
    if loaded.source is not None or list(cameras) != [DEMO_STREAM] or len(cameras[DEMO_STREAM].ffmpeg.inputs) != 1:
        return False
    return Path(cameras[DEMO_STREAM].ffmpeg.inputs[0].path).is_file()


def serve_demo_camera(loaded: LoadedConfig, media_dir: Path) -> tuple[LoadedConfig, SimulatedCameras | None]:
    """Serve the built-in demo camera's video as `rtsp://127.0.0.1:<port>/demo` and point
    the demo config at it. Without GStreamer the demo reads the file directly, as before."""
    if not is_builtin_demo(loaded):
        return loaded, None
    camera_name, camera = next(iter(loaded.config.cameras.items()))
    video = Path(camera.ffmpeg.inputs[0].path)
    try:
        clip = h264_demo_clip(video, media_dir)
    except (OSError, subprocess.SubprocessError) as error:
        logger.error("demo: cannot prepare %s for RTSP (%s); reading the file directly", video, error)
        return loaded, None
    cameras = SimulatedCameras([SimulatedCamera(DEMO_STREAM, clip=clip)])
    if not cameras.child.start():
        return loaded, None
    config = loaded.config.model_copy(deep=True)
    stream = config.cameras[camera_name].ffmpeg.inputs[0]
    stream.path, stream.input_args = cameras.url(DEMO_STREAM), None
    logger.info("demo: camera '%s' is the RTSP camera %s (serving %s)", camera_name, stream.path, clip.name)
    return dataclasses.replace(loaded, config=config), cameras


def demo_cameras(media_dir: Path, video: Path, port: int | None = None) -> SimulatedCameras:
    """`roost demo --rtsp`: the demo footage, a camera that drops for 20 s every minute,
    one at 1280x720 (configure it as 640x360 to see a resolution mismatch) and one
    with no video track."""
    clips = media_dir / "demo"
    return SimulatedCameras([
        SimulatedCamera("demo", clip=h264_demo_clip(video, media_dir)),
        SimulatedCamera("flaky", clip=make_clip(clips / "flaky.mp4", "640x360", 10, 20),
                        drop_every=60.0, drop_seconds=20.0),
        SimulatedCamera("wrong_resolution", clip=make_clip(clips / "wide.mp4", "1280x720", 10, 20)),
        SimulatedCamera("no_video", kind="no_video"),
    ], port)
