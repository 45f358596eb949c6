"""`RecordingMaintainer`: the main process's bookkeeping of recordings, on one thread.

Every pass it moves finished cache segments to `recordings/YYYY-MM-DD/HH/<camera>/MM.SS.mp4`
and indexes them (with the motion/object counts the camera pipeline reported through
`note_activity`), discards corrupt ones, sets ended events' `has_clip` once the recordings
cover them (clips themselves are cut on request, never stored per event), prunes the cache
of clips cut on request, watches free disk space, and runs the retention sweep every
`record.expire_interval` minutes.

A segment is finished when no ffmpeg descendant of this process has it open and, for the
newest segment of a camera, it has not grown for a while (covers recorders started
elsewhere). ffmpeg closes a segment before opening the next, so older ones are safe.
"""

from __future__ import annotations

import collections
import logging
import os
import random
import shutil
import string
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import psutil
from sqlalchemy import select

from roost.config.camera import CameraConfig
from roost.events.clip_cache import ClipCache
from roost.events.clips import ClipSettings, clip_wanted, mark_has_clip
from roost.record.activity import ActivityLog
from roost.record.command import recorder_stream
from roost.record.disk_pressure import DiskPressure, InProgress
from roost.record.expiry import BYTES_PER_MB, SweepReport, run_retention
from roost.record.probe import segment_duration
from roost.record.retention import Segment
from roost.record.segments import CACHE_DIR_NAME, RECORDINGS_DIR_NAME, CacheSegment, cache_segments, recording_path
from roost.store import Database
from roost.store.models import EventRow, RecordingRow

logger = logging.getLogger(__name__)

PASS_INTERVAL_S = 2.0
#: The newest segment of a camera that nobody here has open counts as finished after this.
NEWEST_IDLE_S = 10.0
#: `has_clip` is decided with what exists this long after the recordings should have arrived.
CLIP_WAIT_S = 60.0
#: Window of indexed segments for the current recording rate (disk floor).
RATE_WINDOW_S = 600.0


def new_recording_id(start_time: float) -> str:
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
    return f"{start_time:.6f}-{suffix}"


def files_open_by_ffmpeg_children() -> set[Path]:
    """Files held open by ffmpeg processes descended from this one (the recorders)."""
    held: set[Path] = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if "ffmpeg" in child.name():
                held.update(Path(f.path) for f in child.open_files())
        except psutil.Error:
            continue  # exited meanwhile, or not ours to inspect
    return held


class RecordingMaintainer:
    """Start with `start()`, stop with `stop()`; `process_cache`, `sweep` and
    `check_disk` are single passes, public so tests (and the CLI) can drive them with
    their own clock."""

    def __init__(self, database: Database, cameras: Mapping[str, CameraConfig], media_dir: Path,
                 cache_dir: Path | None = None, clock: Callable[[], float] = time.time,
                 min_free_bytes: int | None = None, interval_s: float = PASS_INTERVAL_S,
                 in_progress: InProgress | None = None) -> None:
        self.database = database
        self.cameras = dict(cameras)
        self.media_dir = media_dir
        self.recordings_dir = media_dir / RECORDINGS_DIR_NAME
        self.cache_dir = cache_dir or media_dir / CACHE_DIR_NAME
        self.clock = clock
        self.min_free_bytes = min_free_bytes
        self.interval_s = interval_s
        self.activity = ActivityLog()
        #: Frees space from whatever Roost wrote when the volume runs low; `in_progress`
        #: (ids of the events being tracked) says which open events really are open.
        self.disk = DiskPressure(database, self.cameras, media_dir, in_progress, min_free_bytes)
        self.last_indexed_end: dict[str, float] = {}
        self._recent: collections.deque[Segment] = collections.deque()
        self._pending_clips: dict[str, float] = {}  # event id → time requested
        self.clip_cache = ClipCache(media_dir)
        self._clip_lock = threading.Lock()
        minutes = min((c.record.expire_interval for c in self.cameras.values()), default=60)
        self.sweep_every_s = 60.0 * minutes
        self._next_sweep = 0.0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recording-maintainer", daemon=True)
        # Disk pressure on its own thread: a pass of the other steps may wait on the database,
        # and relief is what lets a full disk's held writes through.
        self._disk_thread = threading.Thread(target=self._watch_disk, name="disk-pressure", daemon=True)

    def note_activity(self, camera: str, frame_time: float, motion: bool, active_objects: int) -> None:
        """Report one processed frame of `camera` (epoch s): whether it had motion and how
        many tracked objects in it are moving. Cheap; call it for every frame."""
        self.activity.note(camera, frame_time, motion, active_objects)

    def request_clip(self, event_id: str) -> None:
        """Set this ended event's `has_clip` once its recordings (through post_capture) are
        indexed, when its label and zones keep clips."""
        with self._clip_lock:
            self._pending_clips.setdefault(event_id, self.clock())

    def start(self) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        self._disk_thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current pass; call after stopping the recorders, so the last
        segments they closed are indexed by a final pass."""
        self._stopping.set()
        self._thread.join(timeout)
        if self._disk_thread.is_alive():
            self._disk_thread.join(timeout)
        self.process_cache(self.clock(), include_newest=True)
        # events ended by the stop itself: decide has_clip with the recordings there are now
        self.mark_ready_clips(float("inf"))

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_s):
            now = self.clock()
            for step in (self.process_cache, self.mark_ready_clips, self.prune_clip_cache):
                try:
                    step(now)
                except Exception:  # keep recording bookkeeping alive; the next pass retries
                    logger.exception("recording maintenance step %s failed", step.__name__)
            if now >= self._next_sweep:
                self._next_sweep = now + self.sweep_every_s
                try:
                    self.sweep(now)
                except Exception:
                    logger.exception("retention sweep failed; retrying in %.0f s", self.sweep_every_s)

    def _watch_disk(self) -> None:
        while not self._stopping.wait(self.interval_s):
            try:
                self.check_disk(self.clock())
            except Exception:  # the next pass retries
                logger.exception("disk pressure check failed")

    def finished_segments(self, include_newest: bool = False) -> list[CacheSegment]:
        """Cache segments that ffmpeg is done with, oldest first. `include_newest`: trust
        that nothing outside this process writes to the cache (the recorders are stopped)."""
        segments = cache_segments(self.cache_dir)
        held = files_open_by_ffmpeg_children()
        newest: dict[str, CacheSegment] = {}
        for segment in segments:
            newest[segment.camera] = segment
        finished = []
        for segment in segments:
            if segment.path in held or segment.path.resolve() in held:
                continue
            if newest[segment.camera] is segment and not include_newest:
                try:
                    if time.time() - segment.path.stat().st_mtime < NEWEST_IDLE_S:
                        continue
                except FileNotFoundError:
                    continue
            finished.append(segment)
        return finished

    def process_cache(self, now: float, include_newest: bool = False) -> list[RecordingRow]:
        """Move and index every finished segment; returns the rows added."""
        added = []
        for segment in self.finished_segments(include_newest):
            row = self._index(segment)
            if row is not None:
                added.append(row)
        return added

    def _index(self, segment: CacheSegment) -> RecordingRow | None:
        if segment.camera not in self.cameras:
            logger.warning("discarding %s: no camera '%s' in the config", segment.path.name, segment.camera)
            segment.path.unlink(missing_ok=True)
            return None
        duration = segment_duration(segment.path)
        if duration is None:
            logger.warning("discarding corrupt segment %s (unreadable, e.g. no moov atom: ffmpeg "
                           "stopped while writing it)", segment.path.name)
            segment.path.unlink(missing_ok=True)
            return None
        target = recording_path(self.recordings_dir, segment.camera, segment.start_time)
        if target.exists():
            logger.warning("discarding %s: %s already exists", segment.path.name, target)
            segment.path.unlink(missing_ok=True)
            return None
        size = segment.path.stat().st_size
        end = segment.start_time + duration
        motion, objects = self.activity.counts(segment.camera, segment.start_time, end)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(segment.path, target)
        except OSError:  # cache on another file system (tmpfs)
            shutil.move(str(segment.path), str(target))
        row = RecordingRow(id=new_recording_id(segment.start_time), camera=segment.camera, path=str(target.resolve()),
                           start_time=segment.start_time, end_time=end, duration=duration,
                           motion=motion, objects=objects, segment_size=size / BYTES_PER_MB)
        self.database.write_unless_held(lambda s: s.add(row))  # a full disk must not stop indexing
        self.activity.forget_before(segment.camera, end)
        self.last_indexed_end[segment.camera] = max(end, self.last_indexed_end.get(segment.camera, 0.0))
        while self._recent and self._recent[0].end_time < end - RATE_WINDOW_S:
            self._recent.popleft()
        self._recent.append(Segment(row.id, row.camera, row.start_time, end, motion, objects, size))
        logger.debug("indexed %s (%.2f s, %d motion / %d object frames)", target, duration, motion, objects)
        return row

    def prune_clip_cache(self, now: float) -> int:
        """Remove clips cut on request whose time in the cache is over."""
        return self.clip_cache.prune()

    def mark_ready_clips(self, now: float) -> list[str]:
        """Set `has_clip` of the requested events whose recordings are in (or that waited
        long enough); returns their ids."""
        with self._clip_lock:
            pending = dict(self._pending_clips)
        if not pending:
            return []
        with self.database.read() as session:
            events = {e.id: (e.camera, e.end_time, e.label, list(e.zones or [])) for e in
                      session.scalars(select(EventRow).where(EventRow.id.in_(list(pending))))}
        cut = []
        for event_id in pending:
            camera_name, end_time, label, zones = events.get(event_id, (None, None, "", []))
            camera = self.cameras.get(camera_name or "")
            if camera is None or camera_name is None:
                logger.warning("no clip for event %s: unknown event or camera", event_id)
                self._forget_clip(event_id)
                continue
            if recorder_stream(camera) is None or not clip_wanted(camera, label, zones):
                # the camera has no input to record, or clips are not kept for this label/zones
                logger.debug("no clip wanted for event %s (%s on %s)", event_id, label, camera_name)
                self._forget_clip(event_id)
                continue
            if end_time is None:
                continue  # still in progress
            covered_until = end_time + ClipSettings.from_camera(camera).post_capture
            if self.last_indexed_end.get(camera_name, 0.0) < covered_until and now < covered_until + CLIP_WAIT_S:
                continue
            covered = mark_has_clip(self.database, event_id, camera, self.media_dir)
            self._forget_clip(event_id)
            if covered:
                cut.append(event_id)
        return cut

    def _forget_clip(self, event_id: str) -> None:
        with self._clip_lock:
            self._pending_clips.pop(event_id, None)

    def check_disk(self, now: float) -> SweepReport:
        """Relieve disk pressure when free space is under the floor (default: one hour at
        the rate of the last ten minutes' segments, bounded by the volume's size)."""
        recent = [s for s in list(self._recent) if s.end_time >= now - RATE_WINDOW_S]
        self.disk.recent = recent
        report = self.disk.relieve(now)
        return SweepReport(segments=report.segments, bytes_freed=report.bytes_freed, snapshots=report.snapshots)

    def sweep(self, now: float) -> SweepReport:
        """One retention sweep (`record.retain`, event and snapshot retention)."""
        return run_retention(self.database, self.cameras, self.media_dir, now)
