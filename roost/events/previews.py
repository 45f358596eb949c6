"""An event's `preview.gif`: a short, small animated GIF of the event for notifications
(Home Assistant's Frigate integration links it), rendered on request from the recordings.

Made from the recordings rather than from the event clip so that it also works while the
event is still in progress (up to the newest finished segment) and for cameras whose
clips were never cut. Like Frigate's, it starts at the event's start and lasts at most
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
