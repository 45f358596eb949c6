"""`/api/events`: the event list with Frigate's filters, the per-day summary Home Assistant
reads, and one event. The list is the route everyone polls: its answers are shared
through the app's `ResponseCache` until the database changes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from roost.api.event_json import event_columns, event_filters, event_json_text
from roost.api.params import Ctx, check_event_id, csv_values, not_found, timezone_param
from roost.api.response_cache import ResponseCache
from roost.store.models import EventRow

router = APIRouter(tags=["events"])

DEFAULT_LIMIT = 100
MAX_LIMIT = 100_000


@router.get("/events", summary="Events, newest first, with Frigate's filters")
async def list_events(
    request: Request, context: Ctx,
    camera: str | None = None, cameras: str | None = None,
    label: str | None = None, labels: str | None = None,
    sub_label: str | None = None, sub_labels: str | None = None,
    zone: str | None = None, zones: str | None = None,
    after: float | None = Query(None, description="epoch seconds"),
    before: float | None = Query(None, description="epoch seconds"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    has_clip: bool | None = None, has_snapshot: bool | None = None,
    include_thumbnails: bool = True, favorites: bool | None = None, in_progress: bool | None = None,
    min_score: float | None = None, max_score: float | None = None,
    sort: Literal["date_desc", "date_asc"] = "date_desc",
) -> Response:
    """`camera`/`label`/`sub_label`/`zone` take one value; the plural forms (as the Home
    Assistant integration sends them) take comma-separated lists; `all` means no filter and
    `sub_labels=None` matches events without a sub label."""
    def make() -> bytes:  # only when the cache has no fresh answer: building the query costs too
        clauses = event_filters(
            cameras=csv_values(camera, cameras), labels=csv_values(label, labels),
            sub_labels=csv_values(sub_label, sub_labels), zones=csv_values(zone, zones),
            after=after, before=before, has_clip=has_clip, has_snapshot=has_snapshot,
            favorites=favorites, in_progress=in_progress, min_score=min_score, max_score=max_score)
        order = EventRow.start_time.desc() if sort == "date_desc" else EventRow.start_time.asc()
        query = select(*event_columns(include_thumbnails)).where(*clauses).order_by(order).limit(limit)
        with context.database.read() as session:
            rows = session.connection().execute(query).all()
        return f"[{','.join(event_json_text(row, include_thumbnails) for row in rows)}]".encode()

    cache: ResponseCache = request.app.state.response_cache
    body = await cache.get(f"events?{request.url.query}", context.database.generation, make)
    return Response(body, media_type="application/json")


def json_text_response(text: str) -> Response:
    return Response(text.encode(), media_type="application/json")


@router.get("/events/summary", summary="Event counts per day, camera, label, sub label and zones")
def events_summary(context: Ctx, timezone: str | None = Query(None, description="IANA zone, e.g. Europe/Paris"),
                   has_clip: bool | None = None, has_snapshot: bool | None = None) -> JSONResponse:
    """`[{camera, label, sub_label, day: "YYYY-MM-DD", zones, count}]`, days in `timezone`."""
    zone = timezone_param(timezone)
    clauses = event_filters(cameras=None, labels=None, sub_labels=None, zones=None, after=None, before=None,
                            has_clip=has_clip, has_snapshot=has_snapshot, favorites=None, in_progress=None)
    query = select(EventRow.camera, EventRow.label, EventRow.sub_label, EventRow.zones,
                   EventRow.start_time).where(*clauses)
    counts: Counter[tuple[str, str, str | None, str, tuple[str, ...]]] = Counter()
    with context.database.read() as session:
        for row in session.execute(query):
            zones: list[str] = row.zones or []
            day = datetime.fromtimestamp(row.start_time, zone).strftime("%Y-%m-%d")
            counts[(row.camera, row.label, row.sub_label, day, tuple(zones))] += 1
    summary: list[dict[str, Any]] = [
        {"camera": camera, "label": label, "sub_label": sub_label, "day": day, "zones": list(zones), "count": count}
        for (camera, label, sub_label, day, zones), count in counts.items()]
    summary.sort(key=lambda s: (s["day"], s["camera"], s["label"]), reverse=True)
    return JSONResponse(summary)


@router.get("/events/{event_id}", summary="One event")
def get_event(event_id: str, context: Ctx) -> Response:
    check_event_id(event_id)
    with context.database.read() as session:
        row = session.connection().execute(select(*event_columns(True)).where(EventRow.id == event_id)).first()
    if row is None:
        raise not_found(f"event '{event_id}' not found")
    return json_text_response(event_json_text(row, True))
