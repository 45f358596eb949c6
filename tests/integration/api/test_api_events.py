"""Events over HTTP: list filters (Frigate's and the HA integration's comma-separated ones),
summary in a time zone, one event, retain, sub label, delete with media, manual events."""

from __future__ import annotations

import time
from typing import Any

import pytest
from api_seed import BASE, Seeded

from roost.events.clips import clip_path
from roost.events.snapshots import snapshot_files


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return {e["id"] for e in response.json()}


def test_event_json_carries_the_contract_fields(client: Any, seeded: Seeded) -> None:
    event = client.get(f"/api/events/{seeded.events['with_media'].id}").json()
    for key in ("id", "camera", "label", "sub_label", "start_time", "end_time", "top_score", "false_positive",
                "zones", "has_clip", "has_snapshot", "retain_indefinitely", "thumbnail", "data", "box"):
        assert key in event, key
    assert set(event["data"]) >= {"top_score", "score", "box", "region", "attributes", "type"}
    assert event["thumbnail"] and event["has_clip"] and event["has_snapshot"]
    assert client.get(f"/api/events/{seeded.events['car_back'].id}").json()["sub_label"] == "ford"


@pytest.mark.parametrize(("query", "expected"), [
    ("camera=back", {"car_back"}),
    ("cameras=front,back&labels=car,dog", {"car_back", "dog_porch"}),
    ("cameras=all&labels=all&sub_labels=ford", {"car_back"}),
    ("labels=person&zones=yard", {"with_media", "live", "old", "to_delete"}),
    ("zone=porch", {"dog_porch"}),
    ("sub_labels=None&labels=car,dog", {"dog_porch"}),
    (f"after={BASE + 50}&before={BASE + 250}", {"car_back", "dog_porch"}),
    ("has_clip=1", {"with_media"}),
    ("has_snapshot=1&in_progress=0", {"with_media", "to_delete"}),
    ("in_progress=1", {"live"}),
    ("favorites=1", {"dog_porch"}),
    ("min_score=0.95", set()),
    ("camera=nowhere", set()),
])
def test_event_filters(client: Any, seeded: Seeded, query: str, expected: set[str]) -> None:
    if "to_delete" in expected and seeded.events["to_delete"].id not in ids(client.get("/api/events")):
        expected = expected - {"to_delete"}
    assert ids(client.get(f"/api/events?{query}")) == {seeded.events[k].id for k in expected}


def test_limit_order_and_thumbnails(client: Any) -> None:
    events = client.get("/api/events?limit=2").json()
    assert len(events) == 2 and events[0]["start_time"] > events[1]["start_time"]
    assert all("thumbnail" not in e for e in client.get("/api/events?include_thumbnails=0").json())
    oldest = client.get("/api/events?sort=date_asc&limit=1").json()[0]
    assert oldest["start_time"] == BASE - 86400 * 2
    for bad in ("limit=0", "limit=abc", "after=yesterday", "has_clip=maybe", "sort=sideways"):
        response = client.get(f"/api/events?{bad}")
        assert response.status_code == 422 and response.json()["success"] is False, bad


def test_summary_counts_days_in_the_requested_time_zone(client: Any) -> None:
    utc = client.get("/api/events/summary").json()
    tokyo = client.get("/api/events/summary?timezone=Asia/Tokyo").json()
    assert {"camera", "label", "sub_label", "day", "zones", "count"} <= set(utc[0])
    person_utc = {(s["day"], tuple(s["zones"])): s["count"] for s in utc if s["label"] == "person" and s["camera"] == "front"}
    person_tokyo = {s["day"] for s in tokyo if s["label"] == "person"}
    assert person_utc[("2024-03-10", ("yard",))] >= 2  # 23:30 UTC
    assert "2024-03-11" in person_tokyo and "2024-03-10" not in person_tokyo  # 08:30 next day in Tokyo
    assert sum(s["count"] for s in client.get("/api/events/summary?has_clip=1").json()) == 1
    bad = client.get("/api/events/summary?timezone=Mars/Olympus")
    assert bad.status_code == 400 and "Mars/Olympus" in bad.json()["message"]


def test_unknown_event_is_404_with_a_message(client: Any) -> None:
    for path in ("/api/events/1.0-nope", "/api/events/1.0-nope/snapshot.jpg", "/api/events/1.0-nope/clip.mp4",
                 "/api/events/1.0-nope/thumbnail.jpg"):
        response = client.get(path)
        assert response.status_code == 404 and "not found" in response.json()["message"], path
    assert client.post("/api/events/1.0-nope/retain").status_code == 404
    assert client.delete("/api/events/1.0-nope").status_code == 404


def test_retain_and_unretain(client: Any, seeded: Seeded) -> None:
    event_id = seeded.events["car_back"].id
    assert client.post(f"/api/events/{event_id}/retain", json={}).json()["success"] is True
    assert client.get(f"/api/events/{event_id}").json()["retain_indefinitely"] is True
    assert client.delete(f"/api/events/{event_id}/retain").status_code == 200
    assert client.get(f"/api/events/{event_id}").json()["retain_indefinitely"] is False


def test_sub_label_set_and_clear(client: Any, seeded: Seeded) -> None:
    event_id = seeded.events["dog_porch"].id
    response = client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": "rex", "subLabelScore": 0.7})
    assert response.status_code == 200
    event = client.get(f"/api/events/{event_id}").json()
    assert event["sub_label"] == "rex" and event["data"]["sub_label_score"] == 0.7
    assert client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": "x" * 101}).status_code == 422
    assert client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": "a", "subLabelScore": 2}).status_code == 422
    assert client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": ""}).status_code == 200
    assert client.get(f"/api/events/{event_id}").json()["sub_label"] is None


def test_delete_removes_row_and_media(client: Any, seeded: Seeded) -> None:
    row = seeded.events["to_delete"]
    clips = seeded.media / "clips"
    files = snapshot_files(clips, row.camera, row.id)
    assert files.jpeg.exists() and clip_path(clips, row.camera, row.id).exists()
    assert client.delete(f"/api/events/{row.id}").json()["success"] is True
    assert client.get(f"/api/events/{row.id}").status_code == 404
    assert not files.jpeg.exists() and not files.clean_webp.exists()
    assert not clip_path(clips, row.camera, row.id).exists()


def test_manual_event_create_and_end(client: Any, seeded: Seeded) -> None:
    created = client.post("/api/events/front/doorbell/create", json={"sub_label": "visitor", "duration": None})
    assert created.status_code == 200, created.text
    event_id = created.json()["event_id"]
    event = client.get(f"/api/events/{event_id}").json()
    assert event["label"] == "doorbell" and event["end_time"] is None and event["has_snapshot"] is True
    assert client.get(f"/api/events/{event_id}/snapshot.jpg").headers["content-type"] == "image/jpeg"
    ended = client.put(f"/api/events/{event_id}/end", json={"end_time": time.time()})
    assert ended.status_code == 200
    assert client.get(f"/api/events/{event_id}").json()["end_time"] is not None
    assert client.put(f"/api/events/{event_id}/end").status_code == 400  # already ended
    assert client.put(f"/api/events/{seeded.events['live'].id}/end").status_code == 400  # not a manual event
    assert client.post("/api/events/garage/person/create").status_code == 404
    assert client.post("/api/events/front/bad%20label!/create").status_code == 400
    timed = client.post("/api/events/back/car/create", json={"duration": 0.2}).json()["event_id"]
    time.sleep(0.6)
    assert client.get(f"/api/events/{timed}").json()["end_time"] is not None
