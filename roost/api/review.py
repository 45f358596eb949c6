"""Review items (grouped alerts and detections): list, per-day summary, one item, and
marking items viewed."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, or_, select, update

from roost.api.event_json import json_contains
from roost.api.params import EVENT_ID, Ctx, csv_values, not_found, timezone_param
from roost.api.review_media import load_review, thumb_path
from roost.store.models import ReviewSegmentRow

router = APIRouter(tags=["review"])

DAY_S = 86_400


def review_json(row: ReviewSegmentRow) -> dict[str, Any]:
    """Frigate's review item JSON. `thumb_path` is always set (the thumbnail is made on
    first request, see roost.api.review_media); `data.audio` is empty (no audio detection)."""
    data = {"detections": [], "objects": [], "zones": [], "sub_labels": [], "audio": [], **(row.data or {})}
    return {"id": row.id, "camera": row.camera, "start_time": row.start_time, "end_time": row.end_time,
            "has_been_reviewed": bool(row.has_been_reviewed), "severity": row.severity,
            "thumb_path": row.thumb_path or thumb_path(row.camera, row.id), "data": data}


def _filters(cameras: str | None, labels: str | None, zones: str | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if (camera_list := csv_values(cameras)) is not None:
        clauses.append(ReviewSegmentRow.camera.in_(camera_list))
    if (label_list := csv_values(labels)) is not None:
        clauses.append(or_(*(json_contains(ReviewSegmentRow.data, label) for label in label_list)))
    if (zone_list := csv_values(zones)) is not None:
        clauses.append(or_(*(json_contains(ReviewSegmentRow.data, zone) for zone in zone_list)))
    return clauses


@router.get("/review", summary="Review items, newest first")
def list_review(context: Ctx, cameras: str | None = None, labels: str | None = None, zones: str | None = None,
                severity: Literal["alert", "detection"] | None = None,
                after: float | None = None, before: float | None = None,
                limit: int = Query(100, ge=1, le=100_000),
                reviewed: int | None = Query(None, ge=0, le=1, description=(
                    "absent: every item; 0: only items not yet reviewed; 1: only reviewed ones"))) -> JSONResponse:
    """Frigate's semantics, which Home Assistant's media browser relies on: without
    `reviewed` the list holds reviewed and unreviewed items alike."""
    clauses = _filters(cameras, labels, zones)
    if severity is not None:
        clauses.append(ReviewSegmentRow.severity == severity)
    if after is not None:
        clauses.append(or_(ReviewSegmentRow.end_time.is_(None), ReviewSegmentRow.end_time > after))
    if before is not None:
        clauses.append(ReviewSegmentRow.start_time < before)
    if reviewed is not None:
        clauses.append(ReviewSegmentRow.has_been_reviewed.is_(bool(reviewed)))
    with context.database.read() as session:
        rows = session.scalars(select(ReviewSegmentRow).where(*clauses)
                               .order_by(ReviewSegmentRow.start_time.desc()).limit(limit)).all()
    return JSONResponse([review_json(row) for row in rows])


def _empty_counts() -> dict[str, int]:
    return {"reviewed_alert": 0, "reviewed_detection": 0, "total_alert": 0, "total_detection": 0}


@router.get("/review/summary", summary="Alert/detection counts: last 24 hours and per day")
def review_summary(context: Ctx, timezone: str | None = None, cameras: str | None = None,
                   labels: str | None = None, zones: str | None = None) -> JSONResponse:
    """`{"last24Hours": {reviewed_alert, reviewed_detection, total_alert, total_detection},
    "<YYYY-MM-DD>": {day, ...same counts}}`, days in `timezone`."""
    zone = timezone_param(timezone)
    since = time.time() - DAY_S
    summary: dict[str, dict[str, Any]] = {"last24Hours": _empty_counts()}
    query = select(ReviewSegmentRow.start_time, ReviewSegmentRow.severity, ReviewSegmentRow.has_been_reviewed
                   ).where(*_filters(cameras, labels, zones))
    with context.database.read() as session:
        for start, severity, seen in session.execute(query):
            day = datetime.fromtimestamp(start, zone).strftime("%Y-%m-%d")
            targets = [summary.setdefault(day, {"day": day, **_empty_counts()})]
            if start >= since:
                targets.append(summary["last24Hours"])
            for counts in targets:
                counts[f"total_{severity}"] = counts.get(f"total_{severity}", 0) + 1
                if seen:
                    counts[f"reviewed_{severity}"] = counts.get(f"reviewed_{severity}", 0) + 1
    return JSONResponse(summary)


@router.get("/review/{review_id}", summary="One review item")
def get_review(review_id: str, context: Ctx) -> JSONResponse:
    return JSONResponse(review_json(load_review(context, review_id)))


class ViewedBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ids: list[str] = Field(min_length=1, max_length=10_000)
    reviewed: bool = True


@router.post("/reviews/viewed", summary="Mark review items as viewed (or not)")
def mark_viewed(body: ViewedBody, context: Ctx) -> JSONResponse:
    ids = [i for i in body.ids if EVENT_ID.match(i)]
    changed = context.database.write(lambda s: s.execute(
        update(ReviewSegmentRow).where(ReviewSegmentRow.id.in_(ids))
        .values(has_been_reviewed=body.reviewed)).rowcount) if ids else 0  # type: ignore[attr-defined]
    if not changed:
        raise not_found("none of the review items exist")
    return JSONResponse({"success": True, "message": f"Marked {changed} item(s) as "
                         f"{'reviewed' if body.reviewed else 'not reviewed'}"})
