"""Mapping between the `Event` currency type and its database row."""

from __future__ import annotations

from typing import Any

from roost.events.event import Event


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
        "data": {
            "type": "object",
            "top_score": event.top_score,
            "score": event.score,
            "box": list(event.box),
            "region": list(event.region),
            "attributes": [{"label": k, "score": v} for k, v in event.attributes.items()],
        },
    }
