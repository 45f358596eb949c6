"""Carrying out retention: reads rows, asks the pure policy (roost.record.retention) what
has expired, and deletes the files and their rows together.

Rows are deleted in the same database write that removes the files, files first inside
that write: if a file cannot be removed the row stays (and is retried next sweep), so no
row ever points at a file that retention meant to keep, and no kept file loses its row.
"""

from __future__ import annotations

import bisect
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from roost.config.camera import CameraConfig
from roost.events.clips import CLIPS_DIR_NAME, clip_path
from roost.events.snapshots import remove_snapshot, snapshot_files
from roost.paths import is_within
from roost.record.disk_pressure import DiskPressure
from roost.record.retention import EventSpan, RetentionPolicy, Segment, expired_event_media, expired_segments
from roost.record.segments import RECORDINGS_DIR_NAME
from roost.store import Database
from roost.store.models import EventRow, RecordingRow

logger = logging.getLogger(__name__)

BYTES_PER_MB = 2**20  # RecordingRow.segment_size is in MB (MiB), as Frigate's
DELETE_CHUNK = 500


@dataclass(frozen=True)
class SweepReport:
    """What one sweep removed (`bytes_freed` counts recordings only)."""

    segments: int = 0
    bytes_freed: int = 0
    clips: int = 0
    snapshots: int = 0
    events: int = 0


def segment_of(row: RecordingRow) -> Segment:
    return Segment(id=row.id, camera=row.camera, start_time=row.start_time, end_time=row.end_time,
                   motion=row.motion, objects=row.objects, size=int(row.segment_size * BYTES_PER_MB))


def event_span_of(row: EventRow) -> EventSpan:
    return EventSpan(id=row.id, camera=row.camera, label=row.label, start_time=row.start_time,
                     end_time=row.end_time, retain_indefinitely=row.retain_indefinitely,
                     has_clip=row.has_clip, has_snapshot=row.has_snapshot, zones=tuple(row.zones or ()))


def _load(database: Database, camera: str | None) -> tuple[list[Segment], list[EventSpan]]:
    with database.read() as session:
        recordings = select(RecordingRow)
        events = select(EventRow)
        if camera is not None:
            recordings = recordings.where(RecordingRow.camera == camera)
            events = events.where(EventRow.camera == camera)
        return ([segment_of(r) for r in session.scalars(recordings)],
                [event_span_of(e) for e in session.scalars(events)])


def _delete_segment_rows(session: Session, ids: Sequence[str], recordings_dir: Path) -> int:
    """One write unit: remove files, then the rows of the files that are gone."""
    freed, gone = 0, []
    for row in session.scalars(select(RecordingRow).where(RecordingRow.id.in_(ids))):
        path = Path(row.path)
        if not is_within(path, recordings_dir):
            logger.error("recording %s points outside %s (%s); row removed, file left alone",
                         row.id, recordings_dir, path)
            gone.append(row.id)
            continue
        try:
            size = path.stat().st_size
            path.unlink()
            freed += size
        except FileNotFoundError:
            pass
        except OSError as error:
            logger.error("cannot delete recording %s: %s; will retry", path, error)
            continue
        gone.append(row.id)
    session.execute(delete(RecordingRow).where(RecordingRow.id.in_(gone)))
    return freed


def delete_segments(database: Database, media_dir: Path, ids: Sequence[str]) -> int:
    """Delete the files and rows of these recordings; returns bytes freed on disk."""
    recordings_dir = media_dir / RECORDINGS_DIR_NAME
    freed = 0
    for start in range(0, len(ids), DELETE_CHUNK):  # bounded IN lists and write units
        chunk = list(ids[start:start + DELETE_CHUNK])
        freed += database.write(functools.partial(_delete_segment_rows, ids=chunk, recordings_dir=recordings_dir))
    return freed


def _expire_event_media(session: Session, cameras: Mapping[str, str], clips: Sequence[str],
                        snapshots: Sequence[str], rows: Sequence[str], clips_dir: Path) -> None:
    """One write unit: clip files and `has_clip`, snapshot files and `has_snapshot`, then rows.
    `cameras` maps event id → camera (file names carry the camera)."""
    for event_id in clips:
        clip_path(clips_dir, cameras[event_id], event_id).unlink(missing_ok=True)
    for event_id in snapshots:
        remove_snapshot(clips_dir, cameras[event_id], event_id)
    if clips:
        session.execute(update(EventRow).where(EventRow.id.in_(clips)).values(has_clip=False))
    if snapshots:
        session.execute(update(EventRow).where(EventRow.id.in_(snapshots)).values(has_snapshot=False))
    if rows:
        session.execute(delete(EventRow).where(EventRow.id.in_(rows)))


def run_retention(database: Database, cameras: Mapping[str, CameraConfig], media_dir: Path,
                  now: float) -> SweepReport:
    """One retention sweep over every configured camera at time `now` (epoch s)."""
    totals = SweepReport()
    for name, camera in cameras.items():
        policy = RetentionPolicy.from_camera(camera)
        segments, events = _load(database, name)
        expired = expired_segments(segments, events, policy, now)
        freed = delete_segments(database, media_dir, [s.id for s in expired]) if expired else 0
        media = expired_event_media(events, policy, now)
        owners = {e.id: e.camera for e in events}
        for start in range(0, max(len(media.rows), len(media.clips), len(media.snapshots)), DELETE_CHUNK):
            database.write(functools.partial(
                _expire_event_media, cameras=owners, clips=media.clips[start:start + DELETE_CHUNK],
                snapshots=media.snapshots[start:start + DELETE_CHUNK],
                rows=media.rows[start:start + DELETE_CHUNK], clips_dir=media_dir / CLIPS_DIR_NAME))
        if expired or media.clips or media.snapshots or media.rows:
            logger.info("%s: retention removed %d segment(s) (%.1f MB), %d clip(s), %d snapshot(s), %d event(s)",
                        name, len(expired), freed / BYTES_PER_MB, len(media.clips), len(media.snapshots),
                        len(media.rows))
        totals = SweepReport(totals.segments + len(expired), totals.bytes_freed + freed,
                             totals.clips + len(media.clips), totals.snapshots + len(media.snapshots),
                             totals.events + len(media.rows))
    return totals


def relieve_disk_pressure(database: Database, cameras: Mapping[str, CameraConfig], media_dir: Path,
                          now: float, min_free_bytes: int | None = None,
                          free_bytes: Callable[[Path], int] | None = None) -> SweepReport:
    """One disk-pressure relief (roost.record.disk_pressure) trusting the rows for what is in
    progress: below `min_free_bytes` free (default: the floor from the recording rate), it
    deletes leftovers, then the oldest recordings no in-progress or retained event needs,
    then old snapshots. `free_bytes` measures free space (default: the file system's)."""
    pressure = DiskPressure(database, cameras, media_dir, min_free_bytes=min_free_bytes, free_bytes=free_bytes)
    if min_free_bytes is None:
        pressure.recent = _load(database, None)[0]
    report = pressure.relieve(now)
    return SweepReport(segments=report.segments, bytes_freed=report.bytes_freed, snapshots=report.snapshots)


def reconcile_event_media(database: Database, media_dir: Path) -> int:
    """Set `has_snapshot` to whether the snapshot file exists, and clear `has_clip` of
    events whose recordings are gone and that have no stored clip of an older version
    (after a crash, or files removed by hand); returns the number of events corrected."""
    clips_dir = media_dir / CLIPS_DIR_NAME
    with database.read() as session:
        rows = session.execute(select(EventRow.id, EventRow.camera, EventRow.start_time, EventRow.end_time,
                                      EventRow.has_clip, EventRow.has_snapshot)).all()
        spans = [(r.camera, r.start_time, r.end_time) for r in session.scalars(select(RecordingRow))]
    recorded: dict[str, list[tuple[float, float]]] = {}
    for camera, segment_start, segment_end in sorted(spans, key=lambda s: s[1]):
        recorded.setdefault(camera, []).append((segment_start, segment_end))
    fixes: list[tuple[str, bool, bool]] = []
    for event_id, camera, start, end, has_clip, has_snapshot in rows:
        try:
            stored_clip = clip_path(clips_dir, camera, event_id).exists()
            snapshot = snapshot_files(clips_dir, camera, event_id).jpeg.exists()
        except ValueError:
            continue
        clip = bool(has_clip) and (stored_clip or _overlaps(recorded.get(camera, []), start, end or start))
        clip = clip or stored_clip
        if (clip, snapshot) != (has_clip, has_snapshot):
            fixes.append((event_id, clip, snapshot))

    def work(session: Session) -> None:
        for event_id, clip, snapshot in fixes:
            session.execute(update(EventRow).where(EventRow.id == event_id)
                            .values(has_clip=clip, has_snapshot=snapshot))
    if fixes:
        database.write(work)
        logger.info("corrected has_clip/has_snapshot of %d event(s) to match the files", len(fixes))
    return len(fixes)


def _overlaps(spans: Sequence[tuple[float, float]], start: float, end: float) -> bool:
    """Whether segments `spans` (sorted by start, not overlapping each other) touch
    `[start, end]` (within a second): the last one starting before `end` must reach `start`."""
    index = bisect.bisect_left(spans, (end + 1, float("-inf"))) - 1
    return index >= 0 and spans[index][1] > start - 1
