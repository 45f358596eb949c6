"""What clients change about events: retain, sub label, delete (row and media files), and
manual events (create, end)."""

from __future__ import annotations

import logging
import time

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from roost.api.context import ApiContext, ManualEvents
from roost.api.params import LABEL, Camera, Ctx, bad_request, load_event
from roost.events.clip_cache import cached_clip_path
from roost.events.clips import clip_path
from roost.events.snapshots import remove_snapshot
from roost.publish.messages import TrackedObjectUpdate
from roost.store.models import EventRow, TimelineRow

logger = logging.getLogger(__name__)

router = APIRouter(tags=["events"])


def ok(message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"success": True, "message": message, **extra})


def _set_retain(context: ApiContext, event_id: str, retain: bool) -> JSONResponse:
    load_event(context, event_id)
    context.database.write(lambda s: s.execute(
        update(EventRow).where(EventRow.id == event_id).values(retain_indefinitely=retain)))
    return ok(f"Event {event_id} {'retained' if retain else 'un-retained'}")


@router.post("/events/{event_id}/retain", summary="Keep an event past retention")
def retain_event(event_id: str, context: Ctx) -> JSONResponse:
    return _set_retain(context, event_id, True)


@router.delete("/events/{event_id}/retain", summary="Stop keeping an event past retention")
def unretain_event(event_id: str, context: Ctx) -> JSONResponse:
    return _set_retain(context, event_id, False)


class SubLabelBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subLabel: str = Field(max_length=100, description="empty clears the sub label")
    subLabelScore: float | None = Field(default=None, ge=0.0, le=1.0)


@router.post("/events/{event_id}/sub_label", summary="Set or clear an event's sub label")
def set_sub_label(event_id: str, body: SubLabelBody, context: Ctx) -> JSONResponse:
    row = load_event(context, event_id)
    name = body.subLabel.strip() or None
    score = body.subLabelScore if name else None
    context.database.write(lambda s: s.execute(
        update(EventRow).where(EventRow.id == event_id).values(sub_label=name, sub_label_score=score)))
    context.hub.publish(TrackedObjectUpdate({"type": "sub_label", "id": event_id, "camera": row.camera,
                                             "timestamp": time.time(), "sub_label": name, "score": score}))
    return ok(f"Event {event_id} sub label set to {name!r}")


@router.delete("/events/{event_id}", summary="Delete an event, its snapshot, thumbnail and clip")
def delete_event(event_id: str, context: Ctx) -> JSONResponse:
    row = load_event(context, event_id)
    removed = remove_snapshot(context.clips_dir, row.camera, event_id)
    try:
        cached_clip_path(context.media_dir, row.camera, event_id).unlink(missing_ok=True)  # cut on request
        clip_path(context.clips_dir, row.camera, event_id).unlink()
        removed += 1
    except FileNotFoundError:
        pass
    except ValueError as error:  # a stored camera/id that cannot name a file: nothing to remove
        logger.warning("event %s: %s", event_id, error)

    def drop(session: Session) -> None:
        session.execute(delete(TimelineRow).where(TimelineRow.source_id == event_id))
        session.execute(delete(EventRow).where(EventRow.id == event_id))

    context.database.write(drop)
    logger.info("event %s deleted with %d media file(s)", event_id, removed)
    return ok(f"Event {event_id} deleted")


class CreateEventBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sub_label: str | None = Field(default=None, max_length=100)
    score: float = Field(default=0.0, ge=0.0, le=1.0)
    duration: float | None = Field(default=30, gt=0, le=86_400, description="seconds; null keeps it open until ended")
    include_recording: bool = True
    draw: dict[str, object] = Field(default_factory=dict)


async def get_manual_events(request: Request) -> ManualEvents:
    """The context's hook, or the app's `StoredManualEvents` (one per app, made by create_app)."""
    hook: ManualEvents = request.app.state.manual_events
    return hook


Manual = Annotated[ManualEvents, Depends(get_manual_events)]


@router.post("/events/{camera}/{label}/create", summary="Create a manual event")
def create_event(camera: Camera, label: str, manual: Manual,
                 body: Annotated[CreateEventBody | None, Body()] = None) -> JSONResponse:
    body = body or CreateEventBody()
    if not LABEL.match(label):
        raise bad_request(f"label '{label[:50]}' must be 1-50 letters, digits, spaces, '_' or '-'")
    event_id = manual.create(camera, label, body.sub_label, body.score, body.duration,
                                             body.include_recording)
    return ok("Successfully created event.", event_id=event_id)


class EndEventBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    end_time: float | None = Field(default=None, description="epoch seconds; now when absent")


@router.put("/events/{event_id}/end", summary="End a manual event")
def end_event(event_id: str, context: Ctx, manual: Manual,
              body: Annotated[EndEventBody | None, Body()] = None) -> JSONResponse:
    body = body or EndEventBody()
    row = load_event(context, event_id)
    if row.end_time is not None:
        raise HTTPException(status_code=400, detail=f"event {event_id} has already ended")
    if not manual.end(event_id, body.end_time or time.time()):
        raise HTTPException(status_code=400, detail=f"event {event_id} is not a manual event in progress")
    return ok("Event successfully ended.")
