"""What a finished segment holds (duration, codec, bit rate), read with ffprobe.

ffprobe ships with the system ffmpeg but not with the imageio-ffmpeg wheel; without it the
same facts are parsed from `ffmpeg -i`'s banner, which every ffmpeg prints. A segment
that cannot be read (ffmpeg killed before writing the moov atom) probes as None.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from roost.ffmpeg import ffmpeg_binary

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 20.0
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)(?: \((\w[^)]*)\))?.*?, (\d{2,5})x(\d{2,5})")
_STREAM_KBPS = re.compile(r"Video: .*?, (\d+) kb/s")


@dataclass(frozen=True)
class SegmentInfo:
    """Facts of a readable media file. `duration` in seconds, `bit_rate` of the video
    stream in bits/s (0 when the container does not say), `size` in bytes."""

    duration: float
    codec: str
    width: int
    height: int
    bit_rate: int
    size: int
    profile: str = ""


def ffprobe_binary() -> str | None:
    """ffprobe next to the ffmpeg Roost runs, else on PATH, else None."""
    sibling = Path(ffmpeg_binary()).with_name("ffprobe")
    if sibling.is_file():
        return str(sibling)
    return shutil.which("ffprobe")


def probe_segment(path: Path) -> SegmentInfo | None:
    """Probe `path`; None when it is unreadable, has no video stream or no duration."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size == 0:
        return None
    probe = ffprobe_binary()
    info = _with_ffprobe(probe, path, size) if probe else _with_ffmpeg_banner(path, size)
    if info is None or info.duration <= 0:
        return None
    return info


def _with_ffprobe(binary: str, path: Path, size: int) -> SegmentInfo | None:
    command = [binary, "-v", "error", "-print_format", "json", "-show_format",
               "-show_streams", "-select_streams", "v:0", str(path)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        logger.warning("ffprobe timed out on %s", path)
        return None
    if done.returncode != 0:
        logger.debug("ffprobe cannot read %s: %s", path, done.stderr.decode(errors="replace").strip())
        return None
    data = json.loads(done.stdout or b"{}")
    streams = data.get("streams") or []
    if not streams:
        return None
    stream, fmt = streams[0], data.get("format", {})
    duration = float(fmt.get("duration") or stream.get("duration") or 0.0)
    return SegmentInfo(duration=duration, codec=str(stream.get("codec_name", "")),
                       width=int(stream.get("width", 0)), height=int(stream.get("height", 0)),
                       bit_rate=int(stream.get("bit_rate") or 0), size=size,
                       profile=str(stream.get("profile", "")))


def _with_ffmpeg_banner(path: Path, size: int) -> SegmentInfo | None:
    command = [ffmpeg_binary(), "-hide_banner", "-i", str(path)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        logger.warning("ffmpeg -i timed out on %s", path)
        return None
    text = done.stderr.decode(errors="replace")
    duration, video = _DURATION.search(text), _VIDEO.search(text)
    if duration is None or video is None:
        logger.debug("ffmpeg cannot read %s: %s", path, text.strip()[-300:])
        return None
    hours, minutes, seconds = duration.groups()
    kbps = _STREAM_KBPS.search(text)
    return SegmentInfo(duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
                       codec=video[1], width=int(video[3]), height=int(video[4]),
                       bit_rate=int(kbps[1]) * 1000 if kbps else 0, size=size,
                       profile=video[2] or "")
