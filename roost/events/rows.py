"""Mapping between the `Event` currency type and its database row."""

from __future__ import annotations

import dataclasses
from typing import Any

from roost.box import Box, as_box
from roost.events.event import Event, EventSnapshot
from roost.store.models import EventRow


#: Event fields stored in the `EventRow` column of the same name (derived, so a field added
#: to `Event` and to the table is stored without another line here).
SAME_NAME_COLUMNS = tuple(f.name for f in dataclasses.fields(Event)
                          if f.name in EventRow.__table__.columns and f.name != "sub_label")
#: Keys of the event JSON copied into `data`, which Frigate's HTTP event JSON nests there.
DATA_KEYS = ("top_score", "score", "box", "region", "active", "stationary")


def event_row_values(event: Event) -> dict[str, Any]:
    """Column values of `EventRow` for `event`, taken from its one JSON view (the MQTT
    event payload, `Event.to_mqtt`): the same-named fields, `zones` (entered, in order),
    the sub label split into name and score, `last_seen`, and `data` with `type`,
    `top_score`, `score`, `box`, `region`, `attributes` (`[{label, score}]`), `active`,
    `stationary`."""
    view = event.to_mqtt()
    values = {name: view[name] for name in SAME_NAME_COLUMNS}
    values.update(
        zones=view["entered_zones"],
        sub_label=event.sub_label[0] if event.sub_label else None,
        sub_label_score=event.sub_label[1] if event.sub_label else None,
        last_seen=event.frame_time,
        data={"type": "object", **{key: view[key] for key in DATA_KEYS},
              "attributes": [{"label": k, "score": v} for k, v in event.attributes.items()]})
    return values


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
