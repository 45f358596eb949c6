"""A camera's live images: the MJPEG debug stream `/api/<camera>`, `latest.jpg`, and the
best/latest snapshot of a label (`<label>/best.jpg`, `<label>/snapshot.jpg`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from roost.api.context import ApiContext, LatestFrame
from roost.api.event_media import Flag, Height, Quality, snapshot_options, event_snapshot_bytes
from roost.api.files import jpeg_response, resized_jpeg
from roost.api.live_cache import LiveCache
from roost.api.overlays import OverlayFlags, draw_overlays
from roost.api.params import Camera, Ctx, check_label, not_found
from roost.events.snapshots import encode_jpeg
from roost.store.models import EventRow

router = APIRouter(tags=["live"])

MJPEG_BOUNDARY = "frame"
DEFAULT_FPS = 3
MJPEG_QUALITY = 70


def _flags(bbox: int | None, timestamp: int | None, zones: int | None, mask: int | None,
           motion: int | None, regions: int | None, h: int | None) -> OverlayFlags:
    return OverlayFlags(bbox=bool(bbox), timestamp=bool(timestamp), zones=bool(zones), mask=bool(mask),
                        motion=bool(motion), regions=bool(regions), height=h)


def _render(context: ApiContext, camera: str, flags: OverlayFlags, quality: int, blank_if_none: bool) -> bytes | None:
    frame = context.latest_frame(camera)
    config = context.loaded.config.cameras[camera]
    if frame is None:
        if not blank_if_none:
            return None
        height, width = config.frame_shape if config.detect.height and config.detect.width else (360, 640)
        frame = LatestFrame(np.zeros((height, width, 3), np.uint8), 0.0)
    return encode_jpeg(draw_overlays(frame, config, flags), quality)


@router.get("/{camera}/latest.jpg", summary="Newest processed frame, with optional overlays", response_class=Response)
def latest_jpg(camera: Camera, context: Ctx, h: Height = None, quality: Quality = 70, bbox: Flag = None,
               timestamp: Flag = None, zones: Flag = None, mask: Flag = None, motion: Flag = None,
               regions: Flag = None) -> Response:
    data = _render(context, camera, _flags(bbox, timestamp, zones, mask, motion, regions, h), quality, False)
    if data is None:
        raise not_found(f"camera '{camera}' has no processed frame yet")
    return jpeg_response(data)


def _latest_event(context: ApiContext, camera: str, label: str) -> EventRow | None:
    with context.database.read() as session:
        return session.scalars(select(EventRow).where(
            EventRow.camera == camera, EventRow.label == label, EventRow.has_snapshot.is_(True))
            .order_by(EventRow.start_time.desc()).limit(1)).first()


@router.get("/{camera}/{label}/best.jpg", summary="Best snapshot of a label", response_class=Response)
def best_jpg(camera: Camera, label: str, request: Request, context: Ctx, h: Height = None,
             crop: Flag = None, quality: Quality = 70) -> Response:
    check_label(context, camera, label)
    cache: LiveCache = request.app.state.live
    live = cache.best(camera, label)
    row = _latest_event(context, camera, label)
    if live is not None and not crop and (row is None or row.end_time is None):
        return jpeg_response(resized_jpeg(live, h, quality))
    if row is not None:
        options = snapshot_options(context, row, None, crop, None, h, quality)
        return jpeg_response(event_snapshot_bytes(context, cache, row, options, rerender=bool(crop) or h is not None))
    if live is not None:
        return jpeg_response(resized_jpeg(live, h, quality))
    raise not_found(f"no snapshot of '{label}' on camera '{camera}' yet")


@router.get("/{camera}/{label}/snapshot.jpg", summary="Snapshot of the newest event of a label",
            response_class=Response)
def label_snapshot_jpg(camera: Camera, label: str, request: Request, context: Ctx, h: Height = None,
                       quality: Quality = 70) -> Response:
    check_label(context, camera, label)
    cache: LiveCache = request.app.state.live
    row = _latest_event(context, camera, label)
    if row is not None:
        options = snapshot_options(context, row, None, None, None, h, quality)
        return jpeg_response(event_snapshot_bytes(context, cache, row, options, rerender=False))
    live = cache.best(camera, label)
    if live is not None:
        return jpeg_response(resized_jpeg(live, h, quality))
    raise not_found(f"no snapshot of '{label}' on camera '{camera}' yet")


@router.get("/{camera}", summary="MJPEG debug stream with overlays", response_class=StreamingResponse)
async def mjpeg(camera: Camera, context: Ctx, fps: int = Query(DEFAULT_FPS, ge=1, le=30),
                h: Height = None, bbox: Flag = None, timestamp: Flag = None, zones: Flag = None,
                mask: Flag = None, motion: Flag = None, regions: Flag = None) -> StreamingResponse:
    flags = _flags(bbox, timestamp, zones, mask, motion, regions, h)

    async def frames() -> AsyncIterator[bytes]:
        while True:
            jpeg = await run_in_threadpool(_render, context, camera, flags, MJPEG_QUALITY, True)
            assert jpeg is not None
            yield (f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                   .encode() + jpeg + b"\r\n")
            await asyncio.sleep(1 / fps)

    return StreamingResponse(frames(), media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
                             headers={"Cache-Control": "no-store"})
