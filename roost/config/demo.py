"""The built-in default config: a demo camera playing Debian's `vtest.avi` (a plaza with
people walking) when installed, else a clip Roost generates once with ffmpeg."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import yaml

from roost.config.loading import LoadedConfig, validate_raw
from roost.ffmpeg import ffmpeg_binary

logger = logging.getLogger(__name__)

DEMO_TEMPLATE = Path(__file__).with_name("demo.yml")
VTEST_AVI = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
VTEST_SIZE = (768, 576)
GENERATED_SIZE = (640, 360)
GENERATED_SECONDS = 30


def demo_video(media_dir: Path) -> tuple[Path, tuple[int, int]]:
    """(video path, (width, height)) of the demo camera's footage, generating it if needed."""
    if VTEST_AVI.is_file():
        return VTEST_AVI, VTEST_SIZE
    target = media_dir / "demo" / "demo.mp4"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        width, height = GENERATED_SIZE
        logger.info("vtest.avi (Debian opencv-doc) not found; generating a demo clip at %s", target)
        partial = target.with_suffix(".partial.mp4")
        subprocess.run(
            [ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"testsrc2=size={width}x{height}:rate=10:duration={GENERATED_SECONDS}",
             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "20", str(partial)],
            check=True, timeout=120,
        )
        partial.rename(target)
    return target, GENERATED_SIZE


def demo_config(media_dir: Path) -> LoadedConfig:
    video, (width, height) = demo_video(media_dir)
    text = (DEMO_TEMPLATE.read_text()
            .replace('"@DEMO_VIDEO@"', yaml.safe_dump(str(video)).splitlines()[0])
            .replace('"@DEMO_WIDTH@"', str(width))
            .replace('"@DEMO_HEIGHT@"', str(height)))
    return validate_raw(yaml.safe_load(text), source=None)
