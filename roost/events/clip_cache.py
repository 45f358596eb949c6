"""Event clips cut on request and kept briefly: `cache/clips/<camera>-<event id>.mp4`.

A browser plays a clip with many range requests, and Home Assistant may fetch it again
for a notification, so a cut is reused for `CLIP_CACHE_TTL_S` after its last use; the
cache never holds more than `CLIP_CACHE_MAX_FILES` files or `CLIP_CACHE_MAX_BYTES` (the
least recently used go first). One cut per event at a time: concurrent requests wait for
the first. Deleting a cached file that is being streamed is safe on POSIX (the open file
lives on until the response ends).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from roost.events.clips import media_file

logger = logging.getLogger(__name__)

CLIP_CACHE_DIR = Path("cache") / "clips"
CLIP_CACHE_TTL_S = 600.0
CLIP_CACHE_MAX_FILES = 32
CLIP_CACHE_MAX_BYTES = 1 << 30

Cut = Callable[[Path], Path | None]


def cached_clip_path(media_dir: Path, camera: str, event_id: str) -> Path:
    """Where the cut clip of an event is kept while cached (validated file name)."""
    return media_file(media_dir / CLIP_CACHE_DIR, camera, event_id, ".mp4")


class ClipCache:
    def __init__(self, media_dir: Path, ttl_s: float = CLIP_CACHE_TTL_S, max_files: int = CLIP_CACHE_MAX_FILES,
                 max_bytes: int = CLIP_CACHE_MAX_BYTES, clock: Callable[[], float] = time.time) -> None:
        self.directory = media_dir / CLIP_CACHE_DIR
        self.media_dir = media_dir
        self.ttl_s, self.max_files, self.max_bytes = ttl_s, max_files, max_bytes
        self.clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.cuts = 0  # clips cut (cache misses)

    def get(self, camera: str, event_id: str, cut: Cut) -> Path | None:
        """The event's clip, cut with `cut(target)` unless a fresh copy is cached."""
        target = cached_clip_path(self.media_dir, camera, event_id)
        with self._guard:
            lock = self._locks.setdefault(target.name, threading.Lock())
        with lock:
            if self._fresh(target):
                now = self.clock()
                os.utime(target, (now, now))  # used now: the TTL restarts
                return target
            self.directory.mkdir(parents=True, exist_ok=True)
            made = cut(target)
            if made is not None:
                self.cuts += 1
        self.prune(keep=target)
        with self._guard:
            self._locks.pop(target.name, None)
        return made

    def forget(self, camera: str, event_id: str) -> None:
        """Drop an event's cached clip (the event was deleted)."""
        cached_clip_path(self.media_dir, camera, event_id).unlink(missing_ok=True)

    def _fresh(self, path: Path) -> bool:
        try:
            return self.clock() - path.stat().st_mtime < self.ttl_s
        except FileNotFoundError:
            return False

    def prune(self, keep: Path | None = None) -> int:
        """Remove expired files, then the least recently used beyond the bounds; returns
        how many were removed."""
        if not self.directory.is_dir():
            return 0
        now = self.clock()
        files = []
        for path in self.directory.glob("*.mp4"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        files.sort(key=lambda f: f[0], reverse=True)  # newest use first
        removed, count, total = 0, 0, 0
        for mtime, size, path in files:
            count, total = count + 1, total + size
            expired = now - mtime >= self.ttl_s
            over = count > self.max_files or total > self.max_bytes
            if path != keep and (expired or over):
                path.unlink(missing_ok=True)
                removed += 1
                count, total = count - 1, total - size
        if removed:
            logger.debug("clip cache: removed %d file(s)", removed)
        return removed
