"""Event rows as Frigate's HTTP event JSON, and the event list filters as SQL clauses."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import ColumnElement, String, Text, cast, or_

from roost.store.models import EventRow

#: JSON columns read as their stored text and copied into the response without decoding
#: (most of the cost of a 100-event page is JSON decoding and re-encoding otherwise).
RAW_JSON = {"zones": EventRow.zones, "box": EventRow.box, "region": EventRow.region, "data": EventRow.data,
            "snapshot": EventRow.snapshot}
#: `data.active` as stored (False once stationary); read without decoding `data`.
_STORED_ACTIVE = re.compile(r'"active":\s*(true|false)')
SCALAR_COLUMNS = (
    EventRow.id, EventRow.camera, EventRow.label, EventRow.sub_label, EventRow.sub_label_score,
    EventRow.start_time, EventRow.end_time, EventRow.top_score, EventRow.score, EventRow.false_positive,
    EventRow.has_clip, EventRow.has_snapshot, EventRow.retain_indefinitely, EventRow.area, EventRow.ratio,
    EventRow.model_hash, EventRow.detector_type, EventRow.model_type,
)
#: Keys HTTP clients read under `data` (CONTRACT.md "Details clients trip over").
DATA_KEYS = ("type", "top_score", "score", "box", "region", "attributes")
_DATA_KEY_MARKS = tuple(f'"{key}"' for key in DATA_KEYS)


def event_columns(include_thumbnail: bool) -> list[Any]:
    """The columns `event_json_text` reads: scalars, raw JSON text, the thumbnail if wanted."""
    columns: list[Any] = [*SCALAR_COLUMNS, *(cast(c, Text).label(f"{k}_json") for k, c in RAW_JSON.items())]
    if include_thumbnail:
        columns.append(EventRow.thumbnail)
    return columns


def _data_text(raw: str | None, top_score: float | None, score: float | None, box: str | None,
               region: str | None, sub_label_score: float | None) -> str:
    """`data` as JSON text with every key of DATA_KEYS (decoded and completed only when the
    stored object lacks one, or a sub label score has to be added)."""
    raw = raw or "{}"
    if sub_label_score is None and all(mark in raw for mark in _DATA_KEY_MARKS):
        return raw
    data = dict(json.loads(raw) or {})
    fallback = {"type": "object", "top_score": top_score, "score": score, "box": json.loads(box or "null"),
                "region": json.loads(region or "null"), "attributes": []}
    for key in DATA_KEYS:
        data.setdefault(key, fallback[key])
    if sub_label_score is not None:
        data["sub_label_score"] = sub_label_score
    return json.dumps(data)


def event_json_text(row: Any, include_thumbnail: bool) -> str:
    """One event as `/api/events` returns it, as JSON text (`row` has `event_columns`, in
    that order). `sub_label` is a string here (MQTT carries `[name, score]`); `data` always
    holds `top_score`, `score`, `box`, `region`, `attributes`, `type`. `snapshot` is the
    snapshot frame's own `frame_time`, `box`, `area`, `region`, `score`, `attributes`
    (null before the first snapshot); `active` is in progress and not stationary."""
    (event_id, camera, label, sub_label, sub_label_score, start_time, end_time, top_score, score, false_positive,
     has_clip, has_snapshot, retain, area, ratio, model_hash, detector_type, model_type,
     zones, box, region, data, snapshot, *thumbnail) = row
    stored_active = _STORED_ACTIVE.search(data or "")
    active = end_time is None and (stored_active is None or stored_active.group(1) == "true")
    scalars = json.dumps({
        "id": event_id, "camera": camera, "label": label, "sub_label": sub_label, "start_time": start_time,
        "end_time": end_time, "top_score": top_score, "score": score, "false_positive": bool(false_positive),
        "has_clip": bool(has_clip), "has_snapshot": bool(has_snapshot), "retain_indefinitely": bool(retain),
        "active": active, "plus_id": None, "area": area, "ratio": ratio, "model_hash": model_hash, "detector_type": detector_type,
        "model_type": model_type, **({"thumbnail": thumbnail[0]} if include_thumbnail else {})})
    raw = (f'"zones": {zones or "[]"}, "box": {box or "null"}, "region": {region or "null"}, '
           f'"snapshot": {snapshot or "null"}, '
           f'"data": {_data_text(data, top_score, score, box, region, sub_label_score)}')
    return f"{scalars[:-1]}, {raw}}}"


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
