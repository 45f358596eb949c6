"""Event rows as Frigate's HTTP event JSON, and the event list filters as SQL clauses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, cast, or_

from roost.store.models import EventRow

#: Columns of the list query (the thumbnail is added unless `include_thumbnails=0`).
LIST_COLUMNS = (
    EventRow.id, EventRow.camera, EventRow.label, EventRow.sub_label, EventRow.sub_label_score,
    EventRow.start_time, EventRow.end_time, EventRow.top_score, EventRow.score, EventRow.false_positive,
    EventRow.zones, EventRow.has_clip, EventRow.has_snapshot, EventRow.retain_indefinitely,
    EventRow.box, EventRow.region, EventRow.area, EventRow.ratio, EventRow.model_hash,
    EventRow.detector_type, EventRow.model_type, EventRow.data,
)


def event_json(row: Any, include_thumbnail: bool = True) -> dict[str, Any]:
    """One event as `/api/events` returns it (`row` is an EventRow or a row of LIST_COLUMNS).
    `sub_label` is a string here (MQTT carries `[name, score]`); `data` always holds
    `top_score`, `score`, `box`, `region`, `attributes`, `type`."""
    data = dict(row.data or {})
    data.setdefault("type", "object")
    data.setdefault("top_score", row.top_score)
    data.setdefault("score", row.score)
    data.setdefault("box", row.box)
    data.setdefault("region", row.region)
    data.setdefault("attributes", [])
    if row.sub_label_score is not None:
        data["sub_label_score"] = row.sub_label_score
    event: dict[str, Any] = {
        "id": row.id, "camera": row.camera, "label": row.label, "sub_label": row.sub_label,
        "start_time": row.start_time, "end_time": row.end_time,
        "top_score": row.top_score, "score": row.score, "false_positive": bool(row.false_positive),
        "zones": list(row.zones or []), "has_clip": bool(row.has_clip), "has_snapshot": bool(row.has_snapshot),
        "retain_indefinitely": bool(row.retain_indefinitely), "plus_id": None,
        "box": row.box, "region": row.region, "area": row.area, "ratio": row.ratio,
        "model_hash": row.model_hash, "detector_type": row.detector_type, "model_type": row.model_type,
        "data": data,
    }
    if include_thumbnail:
        event["thumbnail"] = row.thumbnail
    return event


def json_contains(column: Any, value: str) -> ColumnElement[bool]:
    """`value` is one of the strings of a JSON list column (works on SQLite and PostgreSQL)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f'%"{escaped}"%', escape="\\")


def event_filters(*, cameras: list[str] | None, labels: list[str] | None, sub_labels: list[str] | None,
                  zones: list[str] | None, after: float | None, before: float | None,
                  has_clip: bool | None, has_snapshot: bool | None, favorites: bool | None,
                  in_progress: bool | None, min_score: float | None = None,
                  max_score: float | None = None) -> list[ColumnElement[bool]]:
    """SQL clauses for Frigate's event filters. `sub_labels` may hold `None` (no sub label)."""
    clauses: list[ColumnElement[bool]] = []
    if cameras is not None:
        clauses.append(EventRow.camera.in_(cameras))
    if labels is not None:
        clauses.append(EventRow.label.in_(labels))
    if sub_labels is not None:
        named = [s for s in sub_labels if s != "None"]
        options = [EventRow.sub_label.in_(named)] if named else []
        if "None" in sub_labels:
            options.append(EventRow.sub_label.is_(None))
        clauses.append(or_(*options))
    if zones is not None:
        clauses.append(or_(*(json_contains(EventRow.zones, z) for z in zones)))
    if after is not None:
        clauses.append(EventRow.start_time > after)
    if before is not None:
        clauses.append(EventRow.start_time < before)
    if has_clip is not None:
        clauses.append(EventRow.has_clip.is_(has_clip))
    if has_snapshot is not None:
        clauses.append(EventRow.has_snapshot.is_(has_snapshot))
    if favorites:
        clauses.append(EventRow.retain_indefinitely.is_(True))
    if in_progress is not None:
        clauses.append(EventRow.end_time.is_(None) if in_progress else EventRow.end_time.is_not(None))
    if min_score is not None:
        clauses.append(EventRow.top_score >= min_score)
    if max_score is not None:
        clauses.append(EventRow.top_score <= max_score)
    return clauses
