"""Shared request plumbing: the context dependency, and the checks that tie every path
parameter naming a camera, label or event to the config or the database (404 with a
message naming what was asked for and what exists)."""

from __future__ import annotations

import functools
import math
import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select

from roost.api.context import ApiContext
from roost.store.models import EventRow

#: Event ids are "<epoch>.<6 digits>-<6 [a-z0-9]>"; manual/imported ones may differ a little.
EVENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: What a label may look like (manual events create new ones).
LABEL = re.compile(r"^[A-Za-z0-9_ -]{1,50}$")
ALL = "all"


# Dependencies that do no I/O are `async def`: FastAPI runs sync ones on the thread pool,
# and under load every request would queue for a thread just to read an attribute.
async def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Ctx = Annotated[ApiContext, Depends(get_context)]


def not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


#: Latest time a request may name: 9999-12-31 UTC (datetime's limit; later values overflow).
MAX_EPOCH_S = 253_402_300_799.0


def check_times(**times: float) -> None:
    """400 unless every named time is a finite epoch in 0..MAX_EPOCH_S: `NaN`, `inf` and
    1e300 parse as floats but pass every comparison test wrongly or overflow later."""
    for name, value in times.items():
        if not (math.isfinite(value) and 0 <= value <= MAX_EPOCH_S):
            raise bad_request(f"{name} ({str(value)[:32]}) must be epoch seconds between 0 and {MAX_EPOCH_S:.0f}")


def check_camera(context: ApiContext, camera: str) -> str:
    cameras = context.loaded.config.cameras
    if camera not in cameras:
        raise not_found(f"camera '{camera[:64]}' not found; cameras: {', '.join(cameras)}")
    return camera


async def camera_param(camera: str, context: Ctx) -> str:
    """Path parameter `camera`, validated against the config."""
    return check_camera(context, camera)


Camera = Annotated[str, Depends(camera_param)]


def check_label(context: ApiContext, camera: str, label: str) -> str:
    """A label the camera tracks, or one it has events of in the database."""
    if label in context.loaded.config.cameras[camera].objects.track:
        return label
    if LABEL.match(label):
        with context.database.read() as session:
            known = session.scalar(select(EventRow.id).where(EventRow.camera == camera, EventRow.label == label)
                                   .limit(1))
        if known is not None:
            return label
    raise not_found(f"label '{label[:50]}' is not tracked by camera '{camera}' and has no events there")


def check_event_id(event_id: str) -> str:
    if not EVENT_ID.match(event_id):
        raise not_found(f"event '{event_id[:64]}' not found")
    return event_id


def load_event(context: ApiContext, event_id: str) -> EventRow:
    check_event_id(event_id)
    with context.database.read() as session:
        row = session.get(EventRow, event_id)
    if row is None:
        raise not_found(f"event '{event_id}' not found")
    return row


def csv_values(*texts: str | None) -> list[str] | None:
    """Frigate's comma-separated filters (`cameras=front,back`); None when absent or `all`."""
    values = [v.strip() for text in texts if text for v in text.split(",") if v.strip()]
    if not values or ALL in values:
        return None
    return values


@functools.cache
def _zone_names_by_lower_case() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def timezone_param(name: str | None) -> ZoneInfo:
    """An IANA zone name in any case (`Europe/Paris`, `europe/paris`, `utc`), matched as
    Frigate's pytz does: Home Assistant's integration sends `utc` in lower case by default,
    which zoneinfo alone rejects on a case-sensitive file system. UTC when absent."""
    if not name:
        return ZoneInfo("UTC")
    canonical = _zone_names_by_lower_case().get(name.strip().lower(), name)
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"timezone '{name[:64]}' is not an IANA time zone name like 'Europe/Paris'") from None
