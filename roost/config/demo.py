"""The built-in default config: a demo camera playing Debian's `vtest.avi` (a plaza with
people walking) in a loop, or a clip Roost generates once with ffmpeg when that file is
missing. The demo records, so a fresh `make run` shows recordings, event clips, previews
and review items: vtest.avi is MS-MPEG4, which cannot be stream-copied into MP4
segments, so it is transcoded once to H.264 into `<data dir>/demo/` (by
`scripts/prepare-demo.sh` at setup, else at the first start).

`python -m roost.config.demo` prepares the footage and prints its path.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from roost.config.loading import LoadedConfig, validate_raw
from roost.ffmpeg import ffmpeg_binary
from roost.paths import data_dir

logger = logging.getLogger(__name__)

DEMO_TEMPLATE = Path(__file__).with_name("demo.yml")
VTEST_AVI = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
VTEST_SIZE = (768, 576)
GENERATED_SIZE = (640, 360)
GENERATED_SECONDS = 30
TRANSCODE_TIMEOUT_S = 600
#: H.264 as IP cameras send it: a key frame every 2 s (10 fps), so 10 s recording segments
#: cut cleanly, and no B-frames (over RTSP their decode order has no timestamps of its own,
#: and the recorder's stream copy logs non-monotonous DTS for every frame); CRF 28 keeps a
#: day of demo recordings near 4 GB.
H264_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-g", "20", "-bf", "0", "-pix_fmt", "yuv420p",
             "-an", "-movflags", "+faststart"]
#: The transcoded footage (a new name when the encoding changes, so old copies are not used).
VTEST_H264_NAME = "vtest-camera.mp4"


def demo_dir() -> Path:
    return data_dir() / "demo"


def _make_once(target: Path, source_args: list[str]) -> None:
    """ffmpeg into a temp file beside `target`, renamed when complete: concurrent starts
    (tests, a second terminal) never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".mp4")
    os.close(handle)
    try:
        subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", *source_args, *H264_ARGS,
                        partial], check=True, timeout=TRANSCODE_TIMEOUT_S)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def demo_video() -> tuple[Path, tuple[int, int]]:
    """(H.264 MP4 path, (width, height)) of the demo camera's footage, made if needed."""
    if VTEST_AVI.is_file():
        target = demo_dir() / VTEST_H264_NAME
        if not target.is_file():
            logger.info("transcoding %s to H.264 once, for the demo camera to record: %s", VTEST_AVI, target)
            _make_once(target, ["-i", str(VTEST_AVI)])
        return target, VTEST_SIZE
    target = demo_dir() / "generated-camera.mp4"
    if not target.is_file():
        width, height = GENERATED_SIZE
        logger.info("vtest.avi (Debian opencv-doc) not found; generating a demo clip at %s", target)
        _make_once(target, ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=10:duration={GENERATED_SECONDS}"])
    return target, GENERATED_SIZE


def demo_raw() -> dict[str, Any]:
    """The demo config as parsed YAML, its footage made if needed."""
    video, (width, height) = demo_video()
    text = (DEMO_TEMPLATE.read_text()
            .replace('"@DEMO_VIDEO@"', yaml.safe_dump(str(video)).splitlines()[0])
            .replace('"@DEMO_WIDTH@"', str(width))
            .replace('"@DEMO_HEIGHT@"', str(height)))
    raw: dict[str, Any] = yaml.safe_load(text)
    return raw


def demo_config(media_dir: Path | None = None) -> LoadedConfig:
    """The demo config. `media_dir` is unused (kept for callers); footage lives in the data dir."""
    return validate_raw(demo_raw(), source=None)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path, size = demo_video()
    print(f"{path} ({size[0]}x{size[1]})")
    sys.exit(0)
