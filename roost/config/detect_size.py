"""`detect.width`/`height` are optional, as in current Frigate: a camera without them gets
the size of its detect stream, read with ffprobe when Roost starts (and by `check-config`,
so both see the same config). When the stream cannot be read, Frigate's default 1280x720
is used, with a warning, so one camera that is offline at start does not stop the rest.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from roost.config.camera import CameraConfig
from roost.config.errors import ConfigIssue
from roost.ffmpeg import ffmpeg_binary

logger = logging.getLogger(__name__)

#: Frigate's DEFAULT_DETECT_DIMENSIONS, used when the stream cannot be probed.
DEFAULT_DETECT_SIZE = (1280, 720)
PROBE_TIMEOUT_S = 20.0

Size = tuple[int, int]
Prober = Callable[[CameraConfig], Size | None]


def _ffprobe(ffmpeg_path: str) -> str | None:
    sibling = Path(ffmpeg_binary(ffmpeg_path)).with_name("ffprobe")
    return str(sibling) if sibling.is_file() else shutil.which("ffprobe")


def probe_detect_size(camera: CameraConfig) -> Size | None:
    """(width, height) of the camera's detect stream, None when ffprobe cannot read it."""
    stream = camera.ffmpeg.input_with_role("detect")
    binary = _ffprobe(camera.ffmpeg.path)
    if stream is None or binary is None:
        return None
    rtsp = stream.path.lower().startswith(("rtsp://", "rtsps://"))
    # Over TCP with a 5 s socket timeout, so an unreachable camera fails fast.
    transport = ["-rtsp_transport", "tcp", "-timeout", "5000000"] if rtsp else []
    command = [binary, "-v", "error", *transport, "-select_streams", "v:0",
               "-show_entries", "stream=width,height", "-of", "json", stream.path]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except (subprocess.TimeoutExpired, OSError) as error:
        logger.warning("ffprobe of %s failed: %s", stream.path.split("@")[-1], error)
        return None
    try:
        streams = json.loads(done.stdout or b"{}").get("streams") or []
        width, height = int(streams[0]["width"]), int(streams[0]["height"])
    except (ValueError, KeyError, IndexError, TypeError):
        logger.warning("ffprobe cannot read the size of %s: %s", stream.path.split("@")[-1],
                       done.stderr.decode(errors="replace").strip()[-200:])
        return None
    return (width, height) if width > 0 and height > 0 else None


def fill_detect_sizes(cameras: dict[str, CameraConfig], probe: Prober = probe_detect_size) -> list[ConfigIssue]:
    """Give every camera without a detect size one (probed, else the default); returns a
    warning per camera whose stream could not be read. Cameras are changed in place."""
    warnings: list[ConfigIssue] = []
    for name, camera in cameras.items():
        if camera.detect.width is not None and camera.detect.height is not None:
            continue
        probed = probe(camera) if camera.enabled else None
        how = "probed from the stream"
        if probed is None:
            probed, how = DEFAULT_DETECT_SIZE, "default"
            warnings.append(ConfigIssue(f"cameras.{name}.detect", "width/height not set and the detect stream "
                                        f"could not be probed; using {probed[0]}x{probed[1]}"))
        width, height = probed
        camera.detect.width = camera.detect.width or width
        camera.detect.height = camera.detect.height or height
        logger.info("camera %s: detect size %dx%d (%s)", name, camera.detect.width, camera.detect.height, how)
    return warnings


