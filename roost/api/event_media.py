"""An event's media: `snapshot.jpg` (re-rendered from the clean copy when the request asks
for boxes, crop, height or timestamp, drawn with the snapshot frame's own box),
`thumbnail.jpg`, `clip.mp4` (cut from the recordings on request with stream copy and
cached briefly, never stored per event; range requests for browsers), `preview.gif` (rendered from the
recordings on request) and Frigate 0.8's `/clips/<camera>-<id>.<ext>` files."""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
import threading
import time
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from roost.api.context import ApiContext
from roost.api.files import CACHE_PRIVATE, NO_STORE, file_response, jpeg_response, read_image, resized_jpeg
from roost.api.live_cache import LiveCache
from roost.api.params import Ctx, load_event, not_found
from roost.events.clip_cache import CLIP_CACHE_DIR, ClipCache
from roost.events.clips import clip_for_event, clip_path, recording_sources
from roost.events.rows import stored_snapshot
from roost.events.previews import preview_span, render_frames_gif, render_preview_gif
from roost.events.snapshots import (
    SnapshotOptions, android_jpeg, encode_png, placeholder_thumbnail_jpeg, snapshot_files, snapshot_jpeg, thumbnail_jpeg,
)
from roost.ffmpeg import ffmpeg_binary
from roost.store.models import EventRow

logger = logging.getLogger(__name__)

router = APIRouter(tags=["media"])

Flag = Annotated[int | None, Query(ge=0, le=1, description="0 or 1")]
Height = Annotated[int | None, Query(ge=16, le=4320, description="height in pixels")]
Quality = Annotated[int, Query(ge=1, le=100, description="JPEG quality")]
Android = Annotated[Literal["android"] | None, Query(description="android: padded to 2:1")]
CLIP_FILE = re.compile(r"^(?P<stem>[A-Za-z0-9._-]{1,140})\.(?P<ext>jpg|png|webp|mp4)$")


def snapshot_options(context: ApiContext, row: EventRow, bbox: int | None, crop: int | None,
             timestamp: int | None, h: int | None, quality: int) -> SnapshotOptions:
    camera = context.loaded.config.cameras.get(row.camera)
    base = SnapshotOptions.from_config(camera.snapshots) if camera is not None else SnapshotOptions()
    return base.with_request(bounding_box=None if bbox is None else bool(bbox), crop=None if crop is None else bool(crop),
                             timestamp=None if timestamp is None else bool(timestamp), height=h, quality=quality)


def event_snapshot_bytes(context: ApiContext, live: LiveCache, row: EventRow, options: SnapshotOptions,
                    rerender: bool) -> bytes:
    try:
        files = snapshot_files(context.clips_dir, row.camera, row.id)
    except ValueError:
        raise not_found(f"event {row.id} has no snapshot") from None
    clean_file = files.clean if rerender else None
    clean = read_image(clean_file, context.clips_dir) if clean_file is not None else None
    if clean is not None:
        whole = (0, 0, clean.shape[1], clean.shape[0])
        shot = stored_snapshot(row)  # drawn where the object is in this very frame
        box, region = (shot.box, shot.region) if shot is not None else (whole, whole)
        return snapshot_jpeg(clean, box, region, row.label, shot.score if shot else row.top_score,
                             shot.frame_time if shot else row.start_time, options)
    if files.jpeg.is_file():
        return resized_jpeg(files.jpeg.read_bytes(), options.height, options.quality)
    best = live.best_of_event(row.id) if row.end_time is None else None
    if best is not None:
        return resized_jpeg(best, options.height, options.quality)
    raise not_found(f"event {row.id} has no snapshot")


@router.get("/events/{event_id}/snapshot.jpg", summary="Snapshot of an event", response_class=Response)
def event_snapshot(event_id: str, request: Request, context: Ctx,
                   format: Android = None, bbox: Flag = None, crop: Flag = None, timestamp: Flag = None,
                   h: Height = None, quality: Quality = 70) -> Response:
    row = load_event(context, event_id)
    options = snapshot_options(context, row, bbox, crop, timestamp, h, quality)
    rerender = any(v is not None for v in (bbox, crop, timestamp, h))
    data = event_snapshot_bytes(context, request.app.state.live, row, options, rerender)
    if format == "android":
        data = android_jpeg(data, quality)
    return jpeg_response(data, cache=row.end_time is not None)


#: Height of the thumbnail of an in-progress event drawn from its live best frame, px.
IN_PROGRESS_THUMBNAIL_HEIGHT = 175


@router.get("/events/{event_id}/thumbnail.jpg", summary="Thumbnail of an event", response_class=Response)
def event_thumbnail(event_id: str, request: Request, context: Ctx,
                    format: Android = None, h: Height = None, quality: Quality = 70) -> Response:
    row = load_event(context, event_id)
    data: bytes | None = None
    if row.thumbnail:
        try:
            data = base64.b64decode(row.thumbnail, validate=True)
        except (binascii.Error, ValueError):
            logger.warning("event %s: stored thumbnail is not base64", event_id)
    if data is None:
        try:
            clean_file = snapshot_files(context.clips_dir, row.camera, row.id).clean
        except ValueError:
            clean_file = None
        clean = read_image(clean_file, context.clips_dir) if clean_file is not None else None
        if clean is not None:
            shot = stored_snapshot(row)
            data = thumbnail_jpeg(clean, shot.region if shot is not None else (0, 0, clean.shape[1], clean.shape[0]))
        else:
            # an event seconds old whose files are still being rendered: its live best frame
            best = request.app.state.live.best_of_event(row.id) if row.end_time is None else None
            if best is not None:
                data = resized_jpeg(best, h or IN_PROGRESS_THUMBNAIL_HEIGHT, quality)
            else:  # no picture was ever stored for it: a tile naming its label, not a broken image
                logger.debug("event %s has no stored picture; serving a placeholder thumbnail", event_id)
                return jpeg_response(placeholder_thumbnail_jpeg(row.label), cache=False)
    data = resized_jpeg(data, h, quality)
    if format == "android":
        data = android_jpeg(data, quality)
    return jpeg_response(data, cache=row.end_time is not None)


def clip_cache(context: ApiContext) -> ClipCache:
    """The cache of clips cut on request, one per media folder."""
    with _CACHES_LOCK:
        return _CACHES.setdefault(context.media_dir, ClipCache(context.media_dir))


_CACHES: dict[Path, ClipCache] = {}
_CACHES_LOCK = threading.Lock()


def _clip_file(context: ApiContext, row: EventRow) -> FileResponse | None:
    """The event's clip: a stored file of an older version, else cut from the recordings
    now (stream copy) and cached briefly."""
    try:
        stored = clip_path(context.clips_dir, row.camera, row.id)
    except ValueError:
        return None
    if stored.is_file():
        return file_response(stored, [context.clips_dir], "video/mp4", f"clip of event {row.id}")
    camera = context.loaded.config.cameras.get(row.camera)
    if row.end_time is None or camera is None:
        return None
    path = clip_cache(context).get(row.camera, row.id, functools.partial(
        clip_for_event, context.database, row.id, camera, context.media_dir))
    if path is None:
        return None
    return file_response(path, [context.media_dir / CLIP_CACHE_DIR], "video/mp4", f"clip of event {row.id}")


@router.get("/events/{event_id}/clip.mp4", summary="Clip of an event (supports Range)", response_class=Response)
def event_clip(event_id: str, context: Ctx, download: bool = False) -> Response:
    row = load_event(context, event_id)
    response = _clip_file(context, row)
    if response is None:
        raise not_found(f"event {event_id} has no clip (no recordings cover it)")
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{row.camera}-{row.id}.mp4"'
    return response


@router.get("/events/{event_id}/preview.gif", summary="Animated GIF of an event's first seconds",
            response_class=Response)
def event_preview(event_id: str, context: Ctx) -> Response:
    row = load_event(context, event_id)
    camera = context.loaded.config.cameras.get(row.camera)
    ffmpeg = ffmpeg_binary(camera.ffmpeg.path) if camera else None
    start, end = preview_span(row.start_time, row.end_time, time.time())
    sources = recording_sources(context.database, row.camera, start, end, context.media_dir)
    data = None
    if sources and sources[0].start_time <= start + 1 and sources[-1].end_time >= end - 1:
        data = render_preview_gif(sources, start, end, ffmpeg)
    if data is None:  # the recordings do not cover it yet (just started): the camera's last seconds
        data = render_frames_gif(context.recent_frames(row.camera, start, end), ffmpeg)
    if data is None and sources:
        data = render_preview_gif(sources, start, end, ffmpeg)
    if data is None:
        raise not_found(f"event {event_id} has no preview (no recordings or recent frames cover its start)")
    return Response(content=data, media_type="image/gif",
                    headers=CACHE_PRIVATE if row.end_time is not None else NO_STORE)


@router.get("/clips/{filename}", summary="Frigate 0.8 event media: <camera>-<event id>.jpg|png|mp4",
            response_class=Response)
def clips_file(filename: str, context: Ctx) -> Response:
    match = CLIP_FILE.match(filename)
    cameras = sorted(context.loaded.config.cameras, key=len, reverse=True)
    camera = next((c for c in cameras if match and match["stem"].startswith(f"{c}-")), None)
    if match is None or camera is None:
        raise not_found(f"'{filename[:80]}' is not <camera>-<event id>.jpg|png|mp4 of a configured camera")
    row = load_event(context, match["stem"][len(camera) + 1:])
    if row.camera != camera:
        raise not_found(f"event {row.id} is not from camera {camera}")
    if match["ext"] == "mp4":
        clip = _clip_file(context, row)
        if clip is None:
            raise not_found(f"event {row.id} has no clip")
        return clip
    files = snapshot_files(context.clips_dir, camera, row.id)
    if match["ext"] == "jpg":
        return file_response(files.jpeg, [context.clips_dir], "image/jpeg", f"snapshot of event {row.id}")
    if match["ext"] == "webp" or files.clean_png.is_file():
        path, kind = (files.clean_webp, "image/webp") if match["ext"] == "webp" else (files.clean_png, "image/png")
        return file_response(path, [context.clips_dir], kind, f"clean snapshot of event {row.id}")
    clean = read_image(files.clean_webp, context.clips_dir)  # `-clean.png` of Frigate 0.8, made from the WebP
    if clean is None:
        raise not_found(f"event {row.id} has no clean snapshot")
    return Response(content=encode_png(clean), media_type="image/png", headers=CACHE_PRIVATE)

