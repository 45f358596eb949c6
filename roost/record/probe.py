"""What a finished segment holds: its duration (for indexing) and, when asked, codec and
bit rate.

Indexing reads the duration straight from the MP4 `moov/mvhd` box in Python: no child
process per segment, which keeps the recorder's overhead near bare ffmpeg's. An MP4
without a `moov` box is what ffmpeg leaves when it is killed mid-segment: corrupt. Files
that are not MP4 (a user's `-segment_format mpegts`) are probed with ffprobe, which ships
with the system ffmpeg but not with the imageio-ffmpeg wheel; without it the same facts
are parsed from `ffmpeg -i`'s banner, which every ffmpeg prints.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import struct
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


class NotMp4(Exception):
    """The file does not start with an MP4 box; another container."""


def mp4_duration(path: Path) -> float | None:
    """Duration in seconds from the `mvhd` box; None when there is no `moov` (killed
    mid-write) or it is malformed. Raises NotMp4 when the file is not an MP4 at all."""
    with path.open("rb") as handle:
        size = path.stat().st_size
        first = True
        position = 0
        while position + 8 <= size:
            handle.seek(position)
            box_size, box_type = struct.unpack(">I4s", handle.read(8))
            header = 8
            if box_size == 1:
                (box_size,) = struct.unpack(">Q", handle.read(8))
                header = 16
            elif box_size == 0:
                box_size = size - position
            if first and box_type not in (b"ftyp", b"styp", b"moov", b"mdat", b"free", b"wide"):
                raise NotMp4(str(path))
            first = False
            if box_size < header or position + box_size > size:
                return None  # truncated: the box claims more than the file holds
            if box_type == b"moov":
                return _mvhd_duration(handle.read(box_size - header))
            position += box_size
    return None


def _mvhd_duration(moov: bytes) -> float | None:
    offset = 0
    while offset + 8 <= len(moov):
        box_size, box_type = struct.unpack_from(">I4s", moov, offset)
        if box_size < 8:
            return None
        if box_type == b"mvhd":
            version = moov[offset + 8]
            if version == 1:
                timescale, duration = struct.unpack_from(">IQ", moov, offset + 8 + 4 + 16)
            else:
                timescale, duration = struct.unpack_from(">II", moov, offset + 8 + 4 + 8)
            return duration / timescale if timescale else None
        offset += box_size
    return None


def segment_duration(path: Path) -> float | None:
    """Seconds of a finished segment, None when it is unreadable or empty."""
    try:
        duration = mp4_duration(path)
    except NotMp4:
        info = probe_segment(path)
        duration = info.duration if info else None
    except (OSError, struct.error):
        return None
    return duration if duration is not None and duration > 0 else None


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
