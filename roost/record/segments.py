"""Where segment files live: their names in the cache while ffmpeg writes them, and their
place under `recordings/` once finished.

Cache files are named `<camera>@<YYYYmmddHHMMSS><+zzzz>.mp4` by ffmpeg's segment muxer
(`-strftime 1`, local time with its UTC offset), so the start of a segment is known from
its name to the second without opening it. Finished segments go to
`recordings/YYYY-MM-DD/HH/<camera>/MM.SS.mp4` in UTC, Frigate's layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from roost.paths import is_within

#: strftime pattern handed to ffmpeg for the cache file of `camera` (ffmpeg expands it).
CACHE_NAME_PATTERN = "{camera}@%Y%m%d%H%M%S%z.mp4"
CACHE_NAME = re.compile(r"^(?P<camera>[A-Za-z0-9_-]{1,64})@(?P<stamp>\d{14}[+-]\d{4})\.mp4$")
CACHE_DIR_NAME = "cache"
RECORDINGS_DIR_NAME = "recordings"


@dataclass(frozen=True)
class CacheSegment:
    """A segment file in the cache; `start_time` is epoch seconds (whole seconds, from
    the file name ffmpeg gave it when it opened the segment)."""

    path: Path
    camera: str
    start_time: float


def cache_output_pattern(cache_dir: Path, camera: str) -> str:
    """The output argument for the recorder's ffmpeg: a strftime pattern in `cache_dir`."""
    return str(cache_dir / CACHE_NAME_PATTERN.format(camera=camera))


def parse_cache_name(path: Path) -> CacheSegment | None:
    """The segment a cache file holds, or None when the name is not a segment's."""
    match = CACHE_NAME.match(path.name)
    if match is None:
        return None
    try:
        start = datetime.strptime(match["stamp"], "%Y%m%d%H%M%S%z")
    except ValueError:
        return None
    return CacheSegment(path=path, camera=match["camera"], start_time=start.timestamp())


def cache_segments(cache_dir: Path) -> list[CacheSegment]:
    """Every segment file in `cache_dir`, oldest first (by start time, then camera)."""
    if not cache_dir.is_dir():
        return []
    found = (parse_cache_name(p) for p in cache_dir.iterdir() if p.is_file())
    return sorted((s for s in found if s is not None), key=lambda s: (s.start_time, s.camera))


def recording_path(recordings_dir: Path, camera: str, start_time: float) -> Path:
    """`recordings/YYYY-MM-DD/HH/<camera>/MM.SS.mp4` (UTC) for a segment starting at
    `start_time` (epoch seconds). Raises ValueError if the camera name would leave the
    recordings folder (names come from the config, but paths are always checked)."""
    moment = datetime.fromtimestamp(start_time, tz=timezone.utc)
    path = (recordings_dir / moment.strftime("%Y-%m-%d") / moment.strftime("%H") / camera
            / moment.strftime("%M.%S.mp4"))
    if not CACHE_NAME.match(f"{camera}@00000000000000+0000.mp4") or not is_within(path, recordings_dir):
        raise ValueError(f"camera name {camera!r} is not usable in a recordings path")
    return path
