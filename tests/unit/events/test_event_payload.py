"""The `<prefix>/events` payload: `active` (in progress and moving) and the snapshot's own
`snapshot` object beside the object's current `box`, as Frigate's clients read them."""

from __future__ import annotations

import dataclasses
import json

from roost.events.event import Event, EventChange, EventSnapshot

SNAP = EventSnapshot(frame_time=1700000001.4, box=(12, 20, 60, 140), area=5760, region=(0, 0, 320, 320),
                     score=0.91, attributes=({"label": "helmet: yes", "score": 0.8},))
BASE = Event(id="1700000000.000000-abc123", camera="front", label="person", frame_time=1700000003.0,
             start_time=1700000000.0, end_time=None, score=0.8, top_score=0.9, false_positive=False,
             box=(200, 30, 250, 150), area=6000, ratio=0.42, region=(100, 0, 420, 320), snapshot=SNAP)


def test_active_follows_progress_and_stationary() -> None:
    assert BASE.to_mqtt()["active"] is True
    assert dataclasses.replace(BASE, stationary=True).to_mqtt()["active"] is False
    assert dataclasses.replace(BASE, end_time=1700000009.0).to_mqtt()["active"] is False


def test_snapshot_object_is_the_snapshot_frames_and_box_is_the_current_one() -> None:
    payload = json.loads(json.dumps(EventChange("update", BASE, BASE).to_mqtt()))["after"]
    assert payload["snapshot"] == {"frame_time": 1700000001.4, "box": [12, 20, 60, 140], "area": 5760,
                                   "region": [0, 0, 320, 320], "score": 0.91,
                                   "attributes": [{"label": "helmet: yes", "score": 0.8}]}
    assert payload["box"] == [200, 30, 250, 150] and payload["region"] == [100, 0, 420, 320]
    assert dataclasses.replace(BASE, snapshot=None).to_mqtt()["snapshot"] is None  # none rendered yet


def test_database_row_is_derived_from_the_same_event_json() -> None:
    from roost.events.rows import event_row_values
    event = dataclasses.replace(BASE, entered_zones=("yard", "porch"), sub_label=("bob", 0.7),
                                attributes={"helmet: yes": 0.8}, stationary=True)
    row, payload = event_row_values(event), event.to_mqtt()
    for key in ("id", "camera", "label", "start_time", "end_time", "score", "top_score", "false_positive",
                "box", "area", "ratio", "region", "has_clip", "has_snapshot", "snapshot"):
        assert row[key] == payload[key], key
    assert row["zones"] == ["yard", "porch"] and (row["sub_label"], row["sub_label_score"]) == ("bob", 0.7)
    assert row["last_seen"] == event.frame_time
    assert row["data"] == {"type": "object", "top_score": 0.9, "score": 0.8, "box": [200, 30, 250, 150],
                           "region": [100, 0, 420, 320], "active": False, "stationary": True,
                           "attributes": [{"label": "helmet: yes", "score": 0.8}]}
