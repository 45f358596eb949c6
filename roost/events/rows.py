"""Mapping between the `Event` currency type and its database row."""

from __future__ import annotations

from typing import Any

from roost.box import Box, as_box
from roost.events.event import Event, EventSnapshot
from roost.store.models import EventRow


def event_row_values(event: Event) -> dict[str, Any]:
    """Column values of `EventRow` for `event`; `data` carries what Frigate's HTTP event
    JSON nests under `data` (`top_score`, `score`, `box`, `region`, `attributes`, `type`)."""
    return {
        "id": event.id,
        "label": event.label,
        "camera": event.camera,
        "start_time": event.start_time,
        "end_time": event.end_time,
        "top_score": event.top_score,
        "score": event.score,
        "false_positive": event.false_positive,
        "zones": list(event.entered_zones),
        "has_clip": event.has_clip,
        "has_snapshot": event.has_snapshot,
        "box": list(event.box),
        "region": list(event.region),
        "area": event.area,
        "ratio": event.ratio,
        "sub_label": event.sub_label[0] if event.sub_label else None,
        "sub_label_score": event.sub_label[1] if event.sub_label else None,
        "snapshot": event.snapshot.to_json() if event.snapshot is not None else None,
        "last_seen": event.frame_time,
        "data": {
            "type": "object",
            "top_score": event.top_score,
            "score": event.score,
            "box": list(event.box),
            "region": list(event.region),
            "attributes": [{"label": k, "score": v} for k, v in event.attributes.items()],
            "active": event.active,
            "stationary": event.stationary,
        },
    }


def _corners(value: Any) -> Box | None:
    return as_box(value) if isinstance(value, (list, tuple)) and len(value) == 4 else None


def stored_snapshot(row: EventRow) -> EventSnapshot | None:
    """Where the object is in the event's stored snapshot: the row's `snapshot` (written
    with the picture), else, for rows from before it existed, the event's own box and
    region (which may be from another frame; the box stands in for a missing region).
    None when no box is stored."""
    shot = row.snapshot if isinstance(row.snapshot, dict) else {}
    box = _corners(shot.get("box")) or _corners(row.box)
    if box is None:
        return None
    region = _corners(shot.get("region")) or _corners(row.region) or box
    score = shot.get("score", row.top_score)
    return EventSnapshot(frame_time=float(shot.get("frame_time", row.start_time)), box=box,
                         area=int(shot.get("area", row.area or 0)), region=region,
                         score=float(score) if score is not None else 0.0,
                         attributes=tuple(shot.get("attributes") or ()))
