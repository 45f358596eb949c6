"""Annotation frames over HTTP (Frigate+'s "send to Frigate+" and its annotation tool, kept
on this machine): send a frame from an event, a review item, the live view or the
recordings; list, read, relabel, verify and delete frames; their images.

Frigate's own paths answer too: `POST /api/events/<id>/plus` (a true positive),
`PUT /api/events/<id>/false_positive`, `POST /api/<camera>/plus` (the live frame) and
`POST /api/<camera>/plus/<frame_time>` (the recorded frame then); the answer carries
`plus_id`, the frame's id. Writes need the admin role on the authenticated port (the
app-wide check); viewers read. Import and export are in `roost.api.annotation_files`.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from roost.annotate.frames import PLUS_LABELS, AnnotationError, AnnotationFrame, parse_boxes
from roost.annotate.sources import (
    CapturedFrame, frame_from_event, frame_from_live, frame_from_recordings, frame_from_review,
)
from roost.annotate.store import AnnotationStore
from roost.api.context import ApiContext
from roost.api.files import file_response
from roost.api.params import EVENT_ID, Camera, Ctx, bad_request, check_camera, not_found
from roost.detect.onnx_detector import model_labels

logger = logging.getLogger(__name__)

router = APIRouter(tags=["annotations"])

MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
MAX_PAGE = 200
MAX_OFFSET = 10_000_000
VerifiedFilter = Literal["0", "1", "true", "false"]


def store_of(context: ApiContext) -> AnnotationStore:
    return AnnotationStore(context.database, context.clips_dir)


def _frame_or_404(context: ApiContext, frame_id: str) -> AnnotationFrame:
    try:
        frame = store_of(context).get(frame_id)
    except AnnotationError as error:
        raise not_found(str(error)) from None
    if frame is None:
        raise not_found(f"annotation frame '{frame_id}' not found")
    return frame


def _save(context: ApiContext, captured: CapturedFrame, source: str, source_id: str | None,
          false_positive: bool | None) -> JSONResponse:
    store = store_of(context)
    if source_id is not None:
        known = store.find(source, source_id)
        if known is not None:  # sent before: the same frame, with the new true/false positive mark
            if false_positive is not None and known.false_positive != false_positive:
                known = store.set_boxes(known.id, captured.boxes(false_positive) if not known.verified
                                        else known.boxes, false_positive, keep_false_positive=False) or known
            return JSONResponse({"success": True, "message": "Already sent to annotation", "plus_id": known.id,
                                 "id": known.id, "frame": known.to_json()})
    frame = store.add(captured.image, captured.width, captured.height, frame_time=captured.frame_time, source=source,
                      camera=captured.camera, source_id=source_id, label=captured.label,
                      false_positive=false_positive, suggestions=captured.suggestions,
                      boxes=captured.boxes(false_positive))
    return JSONResponse({"success": True, "message": "Sent to annotation", "plus_id": frame.id, "id": frame.id,
                         "frame": frame.to_json()}, status_code=201)


def send_event(context: ApiContext, event_id: str, false_positive: bool | None) -> JSONResponse:
    if not EVENT_ID.match(event_id):
        raise not_found(f"event '{event_id[:64]}' not found")
    try:
        captured = frame_from_event(context.database, context.loaded.config, context.clips_dir, context.media_dir,
                                    event_id)
    except LookupError as error:
        raise not_found(str(error)) from None
    except AnnotationError as error:
        raise bad_request(str(error)) from None
    return _save(context, captured, "event", event_id, false_positive)


def send_review(context: ApiContext, review_id: str, false_positive: bool | None) -> JSONResponse:
    if not EVENT_ID.match(review_id):
        raise not_found(f"review item '{review_id[:64]}' not found")
    try:
        captured, _event = frame_from_review(context.database, context.loaded.config, context.clips_dir,
                                             context.media_dir, review_id)
    except LookupError as error:
        raise not_found(str(error)) from None
    except AnnotationError as error:
        raise bad_request(str(error)) from None
    return _save(context, captured, "review", review_id, false_positive)


def send_live(context: ApiContext, camera: str) -> JSONResponse:
    latest = context.latest_frame(camera)
    if latest is None:
        raise not_found(f"camera '{camera}' has no processed frame yet")
    captured = frame_from_live(camera, latest.image, latest.frame_time,
                               [(o.label, o.score, o.box) for o in latest.objects])
    return _save(context, captured, "live", None, None)


def send_recording(context: ApiContext, camera: str, frame_time: float) -> JSONResponse:
    if not math.isfinite(frame_time) or frame_time <= 0:
        raise bad_request(f"frame_time {frame_time} is not an epoch time in seconds")
    try:
        captured = frame_from_recordings(context.database, context.loaded.config, context.media_dir, camera,
                                         frame_time)
    except LookupError as error:
        raise not_found(str(error)) from None
    except AnnotationError as error:
        raise bad_request(str(error)) from None
    return _save(context, captured, "recording", None, None)


class SendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Literal["event", "review", "camera", "recording"] = Field(
        description="event / review: `id`; camera: `camera` (its live frame); recording: `camera` and `frame_time`")
    id: str | None = Field(default=None, max_length=64)
    camera: str | None = Field(default=None, max_length=64)
    frame_time: float | None = None
    false_positive: bool | None = Field(default=None, description="the user's call on the sent object")


class BoxesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    boxes: list[dict[str, Any]] = Field(max_length=500, description="[{label, box: [x1, y1, x2, y2] image pixels}]")
    false_positive: bool | None = Field(default=None, description="leave out to keep the frame's mark")


@router.post("/annotations", summary="Send a frame to annotation", status_code=201)
def send(body: SendBody, context: Ctx) -> JSONResponse:
    if body.source in ("event", "review"):
        if not body.id:
            raise bad_request(f"source '{body.source}' needs 'id'")
        return (send_event if body.source == "event" else send_review)(context, body.id, body.false_positive)
    if not body.camera:
        raise bad_request(f"source '{body.source}' needs 'camera'")
    camera = check_camera(context, body.camera)
    if body.source == "camera":
        return send_live(context, camera)
    if body.frame_time is None:
        raise bad_request("source 'recording' needs 'frame_time' (epoch seconds)")
    return send_recording(context, camera, body.frame_time)


@router.get("/annotations", summary="Annotation frames, newest capture first")
def list_frames(context: Ctx, verified: VerifiedFilter | None = None, camera: str | None = Query(None, max_length=64),
                limit: int = Query(60, ge=1, le=MAX_PAGE), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> JSONResponse:
    store = store_of(context)
    chosen = None if verified is None else verified in ("1", "true")
    frames, total = store.page(chosen, camera or None, limit, offset)
    return JSONResponse({"frames": [f.to_json(with_boxes=False) for f in frames], "total": total,
                         "offset": offset, "limit": limit, "counts": store.counts()})


@router.get("/annotations/labels", summary="Labels to pick from: the model's, Frigate+'s and those in use")
def labels(context: Ctx) -> JSONResponse:
    used = sorted({b.label for f in store_of(context).all_frames() for b in f.boxes})
    model = [label for label in model_labels(context.loaded.config.model, context.model_cache) if not label.isdigit()]
    return JSONResponse({"model": model, "plus": list(PLUS_LABELS), "used": used,
                         "attributes": context.loaded.config.model.all_attributes})


@router.get("/annotations/{frame_id}", summary="One annotation frame with its boxes")
def get_frame(frame_id: str, context: Ctx) -> JSONResponse:
    return JSONResponse(_frame_or_404(context, frame_id).to_json())


@router.put("/annotations/{frame_id}", summary="Replace a frame's boxes (and its true/false positive mark)")
def put_boxes(frame_id: str, body: BoxesBody, context: Ctx) -> JSONResponse:
    frame = _frame_or_404(context, frame_id)
    try:
        boxes = parse_boxes(body.boxes, frame.width, frame.height, "user")
    except AnnotationError as error:
        raise bad_request(str(error)) from None
    # A box the user kept unchanged keeps its origin and score (a detector suggestion).
    known = {(b.label, b.box): b for b in frame.boxes}
    kept = tuple(known.get((b.label, b.box), b) for b in boxes)
    updated = store_of(context).set_boxes(frame.id, kept, body.false_positive,
                                          keep_false_positive="false_positive" not in body.model_fields_set)
    if updated is None:
        raise not_found(f"annotation frame '{frame_id}' not found")
    return JSONResponse({"success": True, "message": f"Saved {len(kept)} boxes", "frame": updated.to_json()})


def _set_verified(context: ApiContext, frame_id: str, verified: bool) -> JSONResponse:
    _frame_or_404(context, frame_id)
    updated = store_of(context).set_verified(frame_id, verified)
    if updated is None:
        raise not_found(f"annotation frame '{frame_id}' not found")
    return JSONResponse({"success": True, "message": "Verified" if verified else "No longer verified",
                         "frame": updated.to_json()})


@router.post("/annotations/{frame_id}/verify", summary="Verify a frame: its boxes are complete and right")
def verify(frame_id: str, context: Ctx) -> JSONResponse:
    return _set_verified(context, frame_id, True)


@router.delete("/annotations/{frame_id}/verify", summary="Take back a frame's verification")
def unverify(frame_id: str, context: Ctx) -> JSONResponse:
    return _set_verified(context, frame_id, False)


@router.delete("/annotations/{frame_id}", summary="Delete a frame and its image")
def delete_frame(frame_id: str, context: Ctx) -> JSONResponse:
    _frame_or_404(context, frame_id)
    store_of(context).delete(frame_id)
    return JSONResponse({"success": True, "message": f"Deleted annotation frame {frame_id}"})


@router.get("/annotations/{frame_id}/image", summary="A frame's image (as stored)")
def image(frame_id: str, context: Ctx) -> Any:
    frame = _frame_or_404(context, frame_id)
    return file_response(frame.image_path, [store_of(context).folder],
                         MEDIA_TYPES.get(frame.image_path.suffix, "application/octet-stream"),
                         f"image of annotation frame {frame.id}")


# Frigate's paths (its "Send to Frigate+" buttons and clients).

@router.post("/events/{event_id}/plus", summary="Send an event's frame to annotation as a true positive")
def event_plus(event_id: str, context: Ctx, _body: Annotated[dict[str, Any] | None, Body()] = None) -> JSONResponse:
    return send_event(context, event_id, False)


@router.put("/events/{event_id}/false_positive", summary="Send an event's frame to annotation as a false positive")
def event_false_positive(event_id: str, context: Ctx,
                         _body: Annotated[dict[str, Any] | None, Body()] = None) -> JSONResponse:
    return send_event(context, event_id, True)


@router.post("/review/{review_id}/plus", summary="Send a review item's frame to annotation")
def review_plus(review_id: str, context: Ctx, _body: Annotated[dict[str, Any] | None, Body()] = None) -> JSONResponse:
    return send_review(context, review_id, None)


@router.post("/{camera}/plus", summary="Send the camera's live frame to annotation")
def camera_plus(camera: Camera, context: Ctx, _body: Annotated[dict[str, Any] | None, Body()] = None) -> JSONResponse:
    return send_live(context, camera)


@router.post("/{camera}/plus/{frame_time}", summary="Send the camera's recorded frame at a time to annotation")
def camera_plus_at(camera: Camera, frame_time: float, context: Ctx,
                   _body: Annotated[dict[str, Any] | None, Body()] = None) -> JSONResponse:
    return send_recording(context, camera, frame_time)


