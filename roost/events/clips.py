"""Event clips, cut from recorded segments without re-encoding (ffmpeg concat demuxer +
stream copy) when someone asks for one (`roost.events.clip_cache` keeps the cut briefly),
never stored as a second copy per event. `has_clip` means the recordings cover the event.
`clips/<camera>-<event id>.mp4` files left by older versions are still served.

Accuracy: with stream copy a clip can only start on a key frame, so it starts at the last
key frame at or before `start - pre_capture` (at most one GOP early, typically 1–2 s for
cameras) and ends within a frame of `end + post_capture`. Segment start times come from
their file names (whole seconds), which adds up to 1 s either way.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from roost.config.camera import CameraConfig
from roost.ffmpeg import ffmpeg_binary
from roost.paths import is_within
from roost.store import Database
from roost.store.models import EventRow, RecordingRow

logger = logging.getLogger(__name__)

CLIPS_DIR_NAME = "clips"
CUT_TIMEOUT_S = 120.0
#: Event ids are "<epoch>.<6 digits>-<6 [a-z0-9]>"; manual and API events may differ a
#: little, so any file-name-safe id is accepted.
EVENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class ClipSource:
    """A recorded segment file and the span it covers (epoch s)."""

    path: Path
    start_time: float
    end_time: float


@dataclass(frozen=True)
class ClipSettings:
    """How much to add around an event and the longest clip kept (seconds)."""

    pre_capture: float
    post_capture: float
    max_seconds: float

    @classmethod
    def from_camera(cls, camera: CameraConfig) -> "ClipSettings":
        """Legacy `save_clips` when enabled, else `record.events`; `save_clips.max_seconds`
        (default 300) caps every clip, keeping its end as Frigate 0.8 did."""
        source = camera.save_clips if camera.save_clips.enabled else camera.record.events
        return cls(source.pre_capture, source.post_capture, camera.save_clips.max_seconds)


def media_file(directory: Path, camera: str, event_id: str, suffix: str) -> Path:
    """`<directory>/<camera>-<event id><suffix>`, refusing names that would leave `directory`."""
    if not EVENT_ID.match(event_id) or not EVENT_ID.match(camera):
        raise ValueError(f"camera {camera!r} / event id {event_id!r} cannot name a media file")
    path = directory / f"{camera}-{event_id}{suffix}"
    if not is_within(path, directory):
        raise ValueError(f"{path} is outside {directory}")
    return path


def clip_path(clips_dir: Path, camera: str, event_id: str) -> Path:
    return media_file(clips_dir, camera, event_id, ".mp4")


def clip_wanted(camera: CameraConfig, label: str, zones: Sequence[str]) -> bool:
    """Whether an event of `label` that entered `zones` gets a clip (`objects`,
    `required_zones`). Not whether recording is on: the run-time `recordings` switch may
    record a camera whose config has it off, and a clip is cut from whatever was recorded."""
    source = camera.save_clips if camera.save_clips.enabled else camera.record.events
    if source.objects is not None and label not in source.objects:
        return False
    return not source.required_zones or bool(set(source.required_zones) & set(zones))


def clip_span(start_time: float, end_time: float, settings: ClipSettings) -> tuple[float, float]:
    """(start, end) epoch s of the clip of an event, capped to its last `max_seconds`."""
    start, end = start_time - settings.pre_capture, end_time + settings.post_capture
    return (max(start, end - settings.max_seconds), end)


def cut_clip(sources: Sequence[ClipSource], start: float, end: float, target: Path,
             ffmpeg: str | None = None) -> bool:
    """Write `[start, end)` of the concatenated `sources` (oldest first) to `target` with
    stream copy. The file appears complete or not at all (written aside, then renamed)."""
    span = concat_span(sources, start, end)
    if span is None:
        return False
    chosen, offset, duration = span
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".clip-") as work:
        partial = Path(work) / target.name
        command = [ffmpeg or ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y",
                   *concat_input(chosen, offset, duration, Path(work)),
                   "-c", "copy", "-movflags", "+faststart", str(partial)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=CUT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            logger.error("cutting %s took longer than %.0f s; gave up", target.name, CUT_TIMEOUT_S)
            return False
        if done.returncode != 0 or not partial.exists():
            logger.error("cutting %s failed: %s", target.name, done.stderr.decode(errors="replace").strip())
            return False
        os.replace(partial, target)
    return True


def concat_span(sources: Sequence[ClipSource], start: float,
                end: float) -> tuple[list[ClipSource], float, float] | None:
    """The sources overlapping `[start, end)`, the offset of `start` into the first of them
    and the duration they can give; None when none overlaps."""
    chosen = [s for s in sources if s.end_time > start and s.start_time < end]
    if not chosen:
        return None
    offset = max(0.0, start - chosen[0].start_time)
    duration = min(end, chosen[-1].end_time) - max(start, chosen[0].start_time)
    return chosen, offset, duration


def concat_input(chosen: Sequence[ClipSource], offset: float, duration: float, work: Path) -> list[str]:
    """ffmpeg input arguments reading `duration` s from `offset` s into the concatenation
    of `chosen`, through a listing written into `work`."""
    listing = work / "segments.txt"
    listing.write_text("".join(f"file '{_concat_quote(s.path)}'\n" for s in chosen), encoding="utf-8")
    return ["-ss", f"{offset:.3f}", "-t", f"{duration:.3f}", "-f", "concat", "-safe", "0", "-i", str(listing)]


def _concat_quote(path: Path) -> str:
    """A path for the concat demuxer's single-quoted `file` lines."""
    return str(path.resolve()).replace("'", "'\\''")


def recording_sources(database: Database, camera: str, start: float, end: float,
                      media_dir: Path) -> list[ClipSource]:
    """The indexed recordings of `camera` overlapping `[start, end)`, oldest first, keeping
    only files that exist inside the recordings folder."""
    with database.read() as session:
        rows = session.scalars(select(RecordingRow).where(
            RecordingRow.camera == camera, RecordingRow.end_time > start,
            RecordingRow.start_time < end).order_by(RecordingRow.start_time)).all()
    recordings_dir = media_dir / "recordings"
    return [ClipSource(Path(r.path), r.start_time, r.end_time) for r in rows
            if is_within(Path(r.path), recordings_dir) and Path(r.path).exists()]


def event_clip_span(database: Database, event_id: str,
                    camera: CameraConfig) -> tuple[str, float, float] | None:
    """(camera name, start, end) of an ended event's clip; None when the event is unknown
    or still in progress (logged)."""
    with database.read() as session:
        event = session.get(EventRow, event_id)
        if event is None or event.end_time is None:
            logger.warning("no clip for event %s: %s", event_id, "unknown" if event is None else "still in progress")
            return None
        start, end = clip_span(event.start_time, event.end_time, ClipSettings.from_camera(camera))
        return event.camera, start, end


def mark_has_clip(database: Database, event_id: str, camera: CameraConfig, media_dir: Path) -> bool:
    """Set `has_clip` when indexed recordings cover (part of) the ended event's clip span;
    True when they do. Nothing is cut: clips are cut when requested."""
    span = event_clip_span(database, event_id, camera)
    if span is None:
        return False
    camera_name, start, end = span
    if not recording_sources(database, camera_name, start, end, media_dir):
        logger.warning("no clip for event %s: no recordings of %s between %.0f and %.0f",
                       event_id, camera_name, start, end)
        return False
    database.write_unless_held(lambda s: s.execute(update(EventRow).where(EventRow.id == event_id).values(has_clip=True)))
    return True


def clip_for_event(database: Database, event_id: str, camera: CameraConfig, media_dir: Path,
                   target: Path) -> Path | None:
    """Cut the clip of an ended event from its camera's indexed recordings into `target`
    and set `has_clip`. Returns `target`, or None (event unknown or in progress, no
    recordings covering it, or ffmpeg failed — each logged)."""
    span = event_clip_span(database, event_id, camera)
    if span is None:
        return None
    camera_name, start, end = span
    sources = recording_sources(database, camera_name, start, end, media_dir)
    if not sources:
        logger.warning("no clip for event %s: no recordings of %s between %.0f and %.0f",
                       event_id, camera_name, start, end)
        return None
    if not cut_clip(sources, start, end, target, ffmpeg_binary(camera.ffmpeg.path)):
        return None
    database.write_unless_held(lambda s: s.execute(update(EventRow).where(EventRow.id == event_id).values(has_clip=True)))
    logger.debug("clip for event %s: %s (%.1f s requested)", event_id, target, end - start)
    return target
