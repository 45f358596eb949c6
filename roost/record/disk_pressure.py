"""Freeing space when the media volume runs low, from whatever Roost wrote there.

In this order, each step only while free space is still under the floor:
1. files that can be made again or are left over: clips cut on request (`cache/clips`),
   temp files and directories of writes that died (`.clip-*`, `.thumb-*`, ... older than
   `STALE_TEMP_S`), cached review thumbnails;
2. the oldest recordings no event in progress and no retained-indefinitely event needs;
3. snapshots and clean copies of the oldest ended, not retained events;
4. the oldest saved classification attempts (`clips/<model>/train/*.webp`).

"In progress" means what the event bookkeeping is tracking now (`in_progress`), not a row
with no end time: a row left open (its end could not be written, a crash) must not keep
every recording after its start. Such rows count as ended at their last sighting.

Files go first, outside the database: deleting rows needs room in SQLite's log, which is
what is missing. The rows follow through the writer, which holds writes back while the
disk is full (roost.store.database), so a row may point at a deleted file for a moment.
"""

from __future__ import annotations

import functools
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from roost.config.camera import CameraConfig
from roost.events.clip_cache import CLIP_CACHE_DIR
from roost.events.clips import CLIPS_DIR_NAME
from roost.events.snapshots import snapshot_files
from roost.paths import is_within
from roost.record.retention import EventSpan, RetentionPolicy, Segment, disk_pressure_victims, free_space_floor
from roost.record.segments import RECORDINGS_DIR_NAME
from roost.store import Database
from roost.store.models import EventRow, RecordingRow

logger = logging.getLogger(__name__)

BYTES_PER_MB = 2**20
#: A temp file or directory (name starting with ".") untouched this long belongs to a
#: write that died; a running one touches its files more often than that.
STALE_TEMP_S = 120.0
#: The floor is never more than this share of the volume (one hour of recording may be
#: more than a small volume holds) ...
MAX_FLOOR_SHARE = 0.25
#: ... and never less than MIN_FLOOR_BYTES, or this share of a volume smaller than that.
MIN_FLOOR_BYTES = 256 * BYTES_PER_MB
MIN_FLOOR_SHARE = 0.1

InProgress = Callable[[], set[str]]


def effective_floor(rate_floor: int, total: int) -> int:
    """Bytes to keep free on a volume of `total` bytes, from the recording-rate floor
    (one hour at the recent rate), bounded to something the volume can hold.

    >>> effective_floor(10 * 2**30, 200 * 2**20) // 2**20  # a 200 MB volume
    50
    >>> effective_floor(0, 2**40) // 2**20  # nothing recorded yet, a 1 TB volume
    256
    """
    bounded = min(rate_floor, int(total * MAX_FLOOR_SHARE))
    return max(bounded, min(MIN_FLOOR_BYTES, int(total * MIN_FLOOR_SHARE)))


@dataclass(frozen=True)
class PressureReport:
    """What one relief removed; `bytes_freed` counts every file."""

    segments: int = 0
    bytes_freed: int = 0
    leftovers: int = 0
    snapshots: int = 0
    attempts: int = 0


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _remove(path: Path) -> int:
    """Delete a file or directory; bytes freed (0 when it was gone or cannot go)."""
    size = _size(path)
    try:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return 0
    except OSError as error:
        logger.error("disk pressure: cannot delete %s: %s", path, error)
        return 0
    return size


def leftover_files(media_dir: Path, now: float) -> list[Path]:
    """Files nobody needs kept: clips cut on request, stale temp files of dead writes,
    cached review thumbnails. Oldest first."""
    found: list[Path] = []
    cut = media_dir / CLIP_CACHE_DIR
    if cut.is_dir():
        found += [p for p in cut.iterdir() if p.is_file()]
    for directory in (media_dir / "exports", media_dir / CLIPS_DIR_NAME, media_dir / RECORDINGS_DIR_NAME,
                      media_dir / "cache"):
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            try:
                if path.name.startswith(".") and now - path.stat().st_mtime > STALE_TEMP_S:
                    found.append(path)
            except OSError:
                continue
    thumbs = media_dir / CLIPS_DIR_NAME / "review"
    if thumbs.is_dir():
        found += [p for p in thumbs.glob("thumb-*.webp") if p.is_file()]
    return sorted(found, key=_mtime)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def effective_spans(rows: Iterable[EventRow], in_progress: set[str] | None) -> list[EventSpan]:
    """Events as retention sees them under pressure: a row without an end that is not in
    progress (`in_progress`, None: trust the rows) ends at its last sighting."""
    spans = []
    for row in rows:
        end = row.end_time
        if end is None and in_progress is not None and row.id not in in_progress:
            end = row.last_seen if row.last_seen is not None else row.start_time
        spans.append(EventSpan(id=row.id, camera=row.camera, label=row.label, start_time=row.start_time,
                               end_time=end, retain_indefinitely=row.retain_indefinitely,
                               has_clip=row.has_clip, has_snapshot=row.has_snapshot,
                               zones=tuple(row.zones or ())))
    return spans


def _delete_recording_rows(session: Session, ids: list[str]) -> None:
    session.execute(delete(RecordingRow).where(RecordingRow.id.in_(ids)))


def _clear_snapshots(session: Session, ids: list[str]) -> None:
    session.execute(update(EventRow).where(EventRow.id.in_(ids)).values(has_snapshot=False))


class DiskPressure:
    """Keeps the media volume's free space above the floor. `relieve` is one pass (the
    recording maintainer runs it every few seconds); `make_room(n)` is asked before a
    write of about `n` bytes (snapshots) and relieves at once when needed."""

    def __init__(self, database: Database, cameras: Mapping[str, CameraConfig], media_dir: Path,
                 in_progress: InProgress | None = None, min_free_bytes: int | None = None,
                 free_bytes: Callable[[Path], int] | None = None) -> None:
        self.database, self.cameras, self.media_dir = database, dict(cameras), media_dir
        self.in_progress = in_progress
        self.min_free_bytes = min_free_bytes
        self._free_bytes = free_bytes
        self.recent: list[Segment] = []  # segments indexed lately, for the rate floor (set by the maintainer)
        self._lock = threading.Lock()

    def free(self) -> int:
        path = self.media_dir / RECORDINGS_DIR_NAME
        path.mkdir(parents=True, exist_ok=True)
        return self._free_bytes(path) if self._free_bytes is not None else shutil.disk_usage(path).free

    def floor(self, now: float) -> int:
        if self.min_free_bytes is not None:
            return self.min_free_bytes
        total = shutil.disk_usage(self.media_dir).total
        return effective_floor(free_space_floor(self.recent, now), total)

    def make_room(self, need_bytes: int = 0) -> bool:
        """Relieve pressure if writing `need_bytes` would take free space under the floor;
        True when there is room for the write itself afterwards."""
        now = time.time()
        if self.free() - need_bytes >= self.floor(now):
            return True
        self.relieve(now, extra_bytes=need_bytes)
        return self.free() > need_bytes

    def relieve(self, now: float, extra_bytes: int = 0) -> PressureReport:
        with self._lock:
            floor = self.floor(now) + extra_bytes
            free = self.free()
            if free >= floor:
                return PressureReport()
            logger.warning("media volume has %.0f MB free, below the %.0f MB floor: freeing space",
                           free / BYTES_PER_MB, floor / BYTES_PER_MB)
            report = PressureReport()
            for step in (self._leftovers, self._recordings, self._snapshots, self._attempts):
                report = step(report, floor - free, now)
                free = self.free()
                if free >= floor:
                    break
            else:
                logger.warning("disk pressure: nothing left that may be deleted (%.0f MB free); every remaining "
                               "recording and snapshot is retained or in progress", free / BYTES_PER_MB)
            logger.warning("disk pressure: freed %.0f MB (%d segment(s), %d leftover file(s), %d snapshot(s), "
                           "%d classification attempt(s))", report.bytes_freed / BYTES_PER_MB, report.segments,
                           report.leftovers, report.snapshots, report.attempts)
            return report

    def _leftovers(self, report: PressureReport, _need: int, now: float) -> PressureReport:
        freed = count = 0
        for path in leftover_files(self.media_dir, now):
            size = _remove(path)
            freed, count = freed + size, count + 1
        return replace(report, leftovers=report.leftovers + count, bytes_freed=report.bytes_freed + freed)

    def _events(self) -> list[EventSpan]:
        in_progress = self.in_progress() if self.in_progress is not None else None
        with self.database.read() as session:
            return effective_spans(session.scalars(select(EventRow)), in_progress)

    def _recordings(self, report: PressureReport, need: int, now: float) -> PressureReport:
        with self.database.read() as session:
            rows = list(session.scalars(select(RecordingRow)))
        segments = [Segment(id=r.id, camera=r.camera, start_time=r.start_time, end_time=r.end_time,
                            motion=r.motion, objects=r.objects, size=int(r.segment_size * BYTES_PER_MB)) for r in rows]
        paths = {r.id: Path(r.path) for r in rows}
        policies = {name: RetentionPolicy.from_camera(camera) for name, camera in self.cameras.items()}
        victims = disk_pressure_victims(segments, self._events(), policies, need, now)
        recordings_dir = self.media_dir / RECORDINGS_DIR_NAME
        freed, gone = 0, []
        for segment in victims:
            path = paths[segment.id]
            if is_within(path, recordings_dir):
                freed += _remove(path)
            gone.append(segment.id)
        for start in range(0, len(gone), 500):
            self.database.write_unless_held(functools.partial(_delete_recording_rows, ids=gone[start:start + 500]))
        return replace(report, segments=report.segments + len(gone), bytes_freed=report.bytes_freed + freed)

    def _snapshots(self, report: PressureReport, need: int, now: float) -> PressureReport:
        clips_dir = self.media_dir / CLIPS_DIR_NAME
        candidates = sorted((e for e in self._events() if e.has_snapshot and e.end_time is not None
                             and not e.retain_indefinitely), key=lambda e: e.start_time)
        freed, cleared = 0, []
        for event in candidates:
            try:
                files = snapshot_files(clips_dir, event.camera, event.id)
            except ValueError:
                continue
            freed += sum(_remove(p) for p in (files.jpeg, files.clean_webp, files.clean_png))
            cleared.append(event.id)
            if freed >= need:
                break
        if cleared:
            self.database.write_unless_held(functools.partial(_clear_snapshots, ids=cleared))
        return replace(report, snapshots=report.snapshots + len(cleared), bytes_freed=report.bytes_freed + freed)

    def _attempts(self, report: PressureReport, need: int, now: float) -> PressureReport:
        clips_dir = self.media_dir / CLIPS_DIR_NAME
        attempts = sorted(clips_dir.glob("*/train/*.webp"), key=_mtime) if clips_dir.is_dir() else []
        freed = count = 0
        for path in attempts:
            freed += _remove(path)
            count += 1
            if freed >= need:
                break
        return replace(report, attempts=report.attempts + count, bytes_freed=report.bytes_freed + freed)
