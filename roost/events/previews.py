"""An event's `preview.gif`: a short, small animated GIF of the event for notifications
(Home Assistant's Frigate integration links it), rendered on request from the recordings.

Made from the recordings when they cover the event's first seconds, else from the camera's
recent frames (`roost.events.recent_frames`): an event that started seconds ago has no
finished recording segment yet, and notifications fetch its preview at once. Like Frigate's, it starts at the event's start and lasts at most
`PREVIEW_SECONDS`; it is re-encoded (a GIF cannot be stream-copied), at a low frame rate
and height to stay small, with a palette computed from the clip itself.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from roost.events.clips import ClipSource, concat_input, concat_span
from roost.ffmpeg import ffmpeg_binary

logger = logging.getLogger(__name__)

#: Longest preview, in seconds of video from the event's start.
PREVIEW_SECONDS = 20.0
PREVIEW_FPS = 5
PREVIEW_HEIGHT = 180
RENDER_TIMEOUT_S = 60.0
#: One palette for the whole GIF from the frames themselves; `diff` weights the moving
#: parts, which is what the preview is about.
_FILTER = (f"fps={PREVIEW_FPS},scale=-2:{PREVIEW_HEIGHT}:flags=lanczos,split[frames][copy];"
           "[copy]palettegen=max_colors=128:stats_mode=diff[palette];"
           "[frames][palette]paletteuse=dither=bayer:bayer_scale=4")


def preview_span(start_time: float, end_time: float | None, now: float) -> tuple[float, float]:
    """(start, end) epoch s of an event's preview: from its start, for at most
    `PREVIEW_SECONDS`, and not past its end (or `now` while it is in progress).

    >>> preview_span(100.0, 104.5, 200.0)
    (100.0, 104.5)
    >>> preview_span(100.0, None, 160.0)
    (100.0, 120.0)
    """
    return start_time, min(start_time + PREVIEW_SECONDS, end_time if end_time is not None else now)


def render_preview_gif(sources: Sequence[ClipSource], start: float, end: float,
                       ffmpeg: str | None = None) -> bytes | None:
    """The GIF of `[start, end)` of the concatenated `sources` (oldest first), or None when
    they do not cover it or ffmpeg failed (logged)."""
    span = concat_span(sources, start, end)
    if span is None or end <= start:
        return None
    chosen, offset, duration = span
    with tempfile.TemporaryDirectory(prefix="roost-preview-") as work:
        target = Path(work) / "preview.gif"
        command = [ffmpeg or ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y",
                   *concat_input(chosen, offset, duration, Path(work)),
                   "-an", "-filter_complex", _FILTER, "-loop", "0", "-f", "gif", str(target)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=RENDER_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            logger.error("preview GIF took longer than %.0f s; gave up", RENDER_TIMEOUT_S)
            return None
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            logger.error("preview GIF failed: %s", done.stderr.decode(errors="replace").strip()[-400:])
            return None
        return target.read_bytes()


def render_frames_gif(frames: Sequence[tuple[float, bytes]], ffmpeg: str | None = None) -> bytes | None:
    """The GIF of `frames` ((epoch s, JPEG) at about PREVIEW_FPS, oldest first), or None
    when there are none or ffmpeg failed (logged)."""
    if not frames:
        return None
    with tempfile.TemporaryDirectory(prefix="roost-preview-") as work:
        target = Path(work) / "preview.gif"
        command = [ffmpeg or ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "image2pipe", "-framerate", str(PREVIEW_FPS), "-c:v", "mjpeg", "-i", "pipe:0",
                   "-an", "-filter_complex", _FILTER, "-loop", "0", "-f", "gif", str(target)]
        try:
            done = subprocess.run(command, input=b"".join(jpeg for _, jpeg in frames), capture_output=True,
                                  timeout=RENDER_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            logger.error("preview GIF took longer than %.0f s; gave up", RENDER_TIMEOUT_S)
            return None
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            logger.error("preview GIF from recent frames failed: %s",
                         done.stderr.decode(errors="replace").strip()[-400:])
            return None
        return target.read_bytes()
