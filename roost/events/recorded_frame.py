"""One decoded frame of a camera's recordings at a moment (review thumbnails, frames sent
to annotation). ffmpeg seeks accurately (decoding from the key frame before), so the frame
is the one shown at `at`, within the segment start's precision (its file name's whole
second)."""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from roost.events.clips import concat_input, concat_span, recording_sources
from roost.events.snapshots import Image
from roost.store import Database

logger = logging.getLogger(__name__)

RENDER_TIMEOUT_S = 60.0


def recorded_frame(database: Database, camera: str, at: float, media_dir: Path, ffmpeg: str) -> Image | None:
    """The BGR frame of `camera`'s recordings at epoch `at`, or None (nothing recorded
    then, or ffmpeg failed: logged)."""
    span = concat_span(recording_sources(database, camera, at, at + 1, media_dir), at, at + 1)
    if span is None:
        return None
    chosen, offset, duration = span
    with tempfile.TemporaryDirectory(prefix="roost-frame-") as work:
        command = [ffmpeg, "-hide_banner", "-loglevel", "error",
                   *concat_input(chosen, offset, duration, Path(work)), "-frames:v", "1", "-f", "image2pipe",
                   "-c:v", "png", "pipe:1"]
        try:
            done = subprocess.run(command, capture_output=True, timeout=RENDER_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            logger.error("reading the %s frame at %.3f took longer than %.0f s", camera, at, RENDER_TIMEOUT_S)
            return None
    image = cv2.imdecode(np.frombuffer(done.stdout, np.uint8), cv2.IMREAD_COLOR) if done.stdout else None
    if image is None:
        logger.warning("no %s frame at %.3f from the recordings: %s", camera, at,
                       done.stderr.decode(errors="replace").strip()[-300:] or "ffmpeg gave no image")
        return None
    return np.asarray(image, np.uint8)
