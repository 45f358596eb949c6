"""A review item's media, at Frigate's paths: its thumbnail
`clips/review/thumb-<camera>-<id>.webp` (what `thumb_path` points at) and
`GET /api/review/<id>/preview` (`format=gif`, the default, or `mp4`).

Thumbnails are made on first request and then kept beside the other clips: from the
stored thumbnail of the item's first event that has one (a crop around the object), else
its clean snapshot cropped to the region, else the recorded frame at the item's start.
Previews are rendered from the recordings, like an event's `preview.gif`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select

from roost.api.context import ApiContext
from roost.api.files import CACHE_PRIVATE, NO_STORE, file_response, read_image
from roost.api.params import EVENT_ID, Ctx, not_found
from roost.events.clips import concat_input, concat_span, recording_sources
from roost.events.previews import preview_span, render_preview_gif
from roost.events.recorded_frame import recorded_frame
from roost.events.snapshots import Image, crop_to, resize_to_height, snapshot_files
from roost.ffmpeg import ffmpeg_binary
from roost.store.models import EventRow, ReviewSegmentRow

logger = logging.getLogger(__name__)

router = APIRouter(tags=["review"])

#: Where Frigate's clients expect review thumbnails; `thumb_path` carries Frigate's
#: container path, which Home Assistant turns into `clips/review/thumb-...webp`.
THUMB_DIR = "review"
FRIGATE_CLIPS_ROOT = "/media/frigate/clips"
THUMB_HEIGHT = 180
WEBP_QUALITY = 80
RENDER_TIMEOUT_S = 60.0
THUMB_NAME = re.compile(r"^thumb-(?P<camera>[A-Za-z0-9_-]{1,64})-(?P<id>[A-Za-z0-9._-]{1,64})\.webp$")


def thumb_name(camera: str, review_id: str) -> str:
    return f"thumb-{camera}-{review_id}.webp"


def thumb_path(camera: str, review_id: str) -> str:
    """The `thumb_path` of a review item, as Frigate writes it."""
    return f"{FRIGATE_CLIPS_ROOT}/{THUMB_DIR}/{thumb_name(camera, review_id)}"


def load_review(context: ApiContext, review_id: str) -> ReviewSegmentRow:
    if not EVENT_ID.match(review_id):
        raise not_found(f"review item '{review_id[:64]}' not found")
    with context.database.read() as session:
        row = session.get(ReviewSegmentRow, review_id)
    if row is None:
        raise not_found(f"review item '{review_id}' not found")
    return row


def _from_events(context: ApiContext, row: ReviewSegmentRow) -> Image | None:
    ids = [i for i in (row.data or {}).get("detections", []) if isinstance(i, str)]
    if not ids:
        return None
    with context.database.read() as session:
        events = {e.id: e for e in session.scalars(select(EventRow).where(EventRow.id.in_(ids))).all()}
    for event_id in ids:
        event = events.get(event_id)
        if event is None:
            continue
        if event.thumbnail:
            try:
                data = base64.b64decode(event.thumbnail, validate=True)
            except (binascii.Error, ValueError):
                data = b""
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
            if image is not None:
                return np.asarray(image, np.uint8)
        try:
            clean = read_image(snapshot_files(context.clips_dir, event.camera, event.id).clean_png, context.clips_dir)
        except ValueError:
            clean = None
        if clean is not None:
            region = event.region if event.region and len(event.region) == 4 else [0, 0, clean.shape[1], clean.shape[0]]
            return crop_to(clean, (int(region[0]), int(region[1]), int(region[2]), int(region[3])))
    return None


def _from_recordings(context: ApiContext, row: ReviewSegmentRow) -> Image | None:
    camera = context.loaded.config.cameras.get(row.camera)
    if camera is None:
        return None
    return recorded_frame(context.database, row.camera, row.start_time, context.media_dir,
                          ffmpeg_binary(camera.ffmpeg.path))


def review_thumbnail(context: ApiContext, row: ReviewSegmentRow) -> Path | None:
    """The item's thumbnail file, made now when it is missing and can be made."""
    target = context.clips_dir / THUMB_DIR / thumb_name(row.camera, row.id)
    if target.is_file():
        return target
    image = _from_events(context, row)
    if image is None:
        image = _from_recordings(context, row)
    if image is None:
        return None
    ok, encoded = cv2.imencode(".webp", resize_to_height(image, THUMB_HEIGHT), [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY])
    if not ok:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".thumb-", suffix=".webp")
    with os.fdopen(handle, "wb") as out:
        out.write(encoded.tobytes())
    os.replace(partial, target)
    return target


@router.get("/clips/review/{filename}", summary="Thumbnail of a review item: thumb-<camera>-<id>.webp",
            response_class=Response)
def review_thumb(filename: str, context: Ctx) -> Response:
    match = THUMB_NAME.match(filename)
    if match is None:
        raise not_found(f"'{filename[:80]}' is not thumb-<camera>-<review id>.webp")
    row = load_review(context, match["id"])
    if row.camera != match["camera"]:
        raise not_found(f"review item {row.id} is not from camera {match['camera']}")
    path = review_thumbnail(context, row)
    if path is None:
        raise not_found(f"review item {row.id} has no thumbnail (no snapshot or recording of its start)")
    return file_response(path, [context.clips_dir], "image/webp", f"thumbnail of review item {row.id}")


def _render_mp4(context: ApiContext, row: ReviewSegmentRow, start: float, end: float) -> bytes | None:
    camera = context.loaded.config.cameras.get(row.camera)
    span = concat_span(recording_sources(context.database, row.camera, start, end, context.media_dir), start, end)
    if span is None or camera is None:
        return None
    chosen, offset, duration = span
    with tempfile.TemporaryDirectory(prefix="roost-review-preview-") as work:
        target = Path(work) / "preview.mp4"
        command = [ffmpeg_binary(camera.ffmpeg.path), "-hide_banner", "-loglevel", "error", "-y",
                   *concat_input(chosen, offset, duration, Path(work)), "-an",
                   "-vf", f"fps=5,scale=-2:{THUMB_HEIGHT}", "-c:v", "libx264", "-preset", "veryfast",
                   "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target)]
        done = subprocess.run(command, capture_output=True, timeout=RENDER_TIMEOUT_S, check=False)
        if done.returncode != 0 or not target.is_file():
            logger.error("review preview MP4 failed: %s", done.stderr.decode(errors="replace").strip()[-400:])
            return None
        return target.read_bytes()


@router.get("/review/{review_id}/preview", summary="Animated preview of a review item (GIF or MP4)",
            response_class=Response)
def review_preview(review_id: str, context: Ctx,
                   format: Literal["gif", "mp4"] = Query("gif", description="gif (default) or mp4")) -> Response:
    row = load_review(context, review_id)
    camera = context.loaded.config.cameras.get(row.camera)
    start, end = preview_span(row.start_time, row.end_time, time.time())
    if format == "gif":
        sources = recording_sources(context.database, row.camera, start, end, context.media_dir)
        data = render_preview_gif(sources, start, end, ffmpeg_binary(camera.ffmpeg.path) if camera else None)
    else:
        data = _render_mp4(context, row, start, end)
    if data is None:
        raise HTTPException(status_code=404, detail=f"review item {review_id} has no preview "
                                                    "(no recordings cover its start)")
    return Response(content=data, media_type="image/gif" if format == "gif" else "video/mp4",
                    headers=CACHE_PRIVATE if row.end_time is not None else NO_STORE)
