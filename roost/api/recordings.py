"""A camera's recordings: per-day/hour summary, the segment list of a span, and a clip of
any span cut from the segments without re-encoding."""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import select
from starlette.background import BackgroundTask

from roost.api.context import ApiContext
from roost.api.params import Camera, Ctx, bad_request, check_times, not_found, timezone_param
from roost.events.clips import ClipSource, cut_clip
from roost.ffmpeg import ffmpeg_binary
from roost.paths import is_within
from roost.store.models import EventRow, RecordingRow

router = APIRouter(tags=["recordings"])

#: Longest span one clip or export request may cover (seconds).
MAX_SPAN_S = 4 * 3600


def segments_between(context: ApiContext, camera: str, start: float, end: float) -> list[RecordingRow]:
    """Segments of `camera` overlapping [start, end), oldest first, whose files exist inside
    the recordings folder."""
    with context.database.read() as session:
        rows = session.scalars(select(RecordingRow).where(
            RecordingRow.camera == camera, RecordingRow.end_time > start, RecordingRow.start_time < end)
            .order_by(RecordingRow.start_time)).all()
    return [r for r in rows if is_within(Path(r.path), context.recordings_dir) and Path(r.path).is_file()]


def check_span(start: float, end: float) -> None:
    check_times(start=start, end=end)
    if end <= start:
        raise bad_request(f"end ({end}) must be after start ({start})")
    if end - start > MAX_SPAN_S:
        raise bad_request(f"span of {end - start:.0f} s is longer than the {MAX_SPAN_S} s allowed")


@router.get("/{camera}/recordings/summary", summary="Recorded hours per day, with event/motion/object counts")
def recordings_summary(camera: Camera, context: Ctx, timezone: str | None = None) -> JSONResponse:
    """`[{day, events, hours: [{hour: "HH", events, motion, objects, duration}]}]`, newest
    first, in `timezone`."""
    zone = timezone_param(timezone)
    hours: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"events": 0, "motion": 0, "objects": 0, "duration": 0.0})
    with context.database.read() as session:
        for start, motion, objects, duration in session.execute(select(
                RecordingRow.start_time, RecordingRow.motion, RecordingRow.objects, RecordingRow.duration)
                .where(RecordingRow.camera == camera)):
            moment = datetime.fromtimestamp(start, zone)
            slot = hours[(moment.strftime("%Y-%m-%d"), moment.strftime("%H"))]
            slot["motion"] += motion or 0
            slot["objects"] += objects or 0
            slot["duration"] += duration or 0.0
        for (start,) in session.execute(select(EventRow.start_time).where(
                EventRow.camera == camera, EventRow.false_positive.is_(False))):
            moment = datetime.fromtimestamp(start, zone)
            key = (moment.strftime("%Y-%m-%d"), moment.strftime("%H"))
            if key in hours:
                hours[key]["events"] += 1
    days: dict[str, dict[str, Any]] = {}
    for (day, hour), slot in sorted(hours.items(), reverse=True):
        entry = days.setdefault(day, {"day": day, "events": 0, "hours": []})
        entry["events"] += slot["events"]
        entry["hours"].append({"hour": hour, "events": slot["events"], "motion": slot["motion"],
                               "objects": slot["objects"], "duration": round(slot["duration"])})
    return JSONResponse(list(days.values()))


@router.get("/{camera}/recordings", summary="Recorded segments between after and before")
def list_recordings(camera: Camera, context: Ctx, after: float = Query(0.0, description="epoch s"),
                    before: float = Query(4102444800.0, description="epoch s")) -> JSONResponse:
    with context.database.read() as session:
        rows = session.execute(select(
            RecordingRow.id, RecordingRow.start_time, RecordingRow.end_time, RecordingRow.segment_size,
            RecordingRow.motion, RecordingRow.objects, RecordingRow.duration).where(
            RecordingRow.camera == camera, RecordingRow.end_time >= after, RecordingRow.start_time <= before)
            .order_by(RecordingRow.start_time)).all()
    return JSONResponse([dict(row._mapping) for row in rows])


def cut_span(context: ApiContext, camera: str, start: float, end: float, target: Path) -> bool:
    """Write [start, end) of the camera's recordings to `target` (stream copy)."""
    sources = [ClipSource(Path(r.path), r.start_time, r.end_time)
               for r in segments_between(context, camera, start, end)]
    if not sources:
        return False
    return cut_clip(sources, start, end, target, ffmpeg_binary(context.loaded.config.cameras[camera].ffmpeg.path))


@router.get("/{camera}/start/{start}/end/{end}/clip.mp4", summary="Clip of any recorded span (supports Range)",
            response_class=Response)
def span_clip(camera: Camera, start: float, end: float, context: Ctx) -> FileResponse:
    check_span(start, end)
    work = Path(tempfile.mkdtemp(prefix="roost-span-"))
    target = work / f"{camera}_{int(start)}-{int(end)}.mp4"
    try:
        cut = cut_span(context, camera, start, end, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if not cut:
        shutil.rmtree(work, ignore_errors=True)
        raise not_found(f"no recordings of '{camera}' between {start} and {end}")
    return FileResponse(target, media_type="video/mp4",
                        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True))
