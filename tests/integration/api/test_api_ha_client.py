"""A client that behaves like the Home Assistant Frigate integration, over real HTTP (both
listeners started by `serve_api`), checking the fields CONTRACT.md lists; and the
websocket pushing hub messages and taking `/set` commands."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_seed import BASE, Seeded, served
from websockets.sync.client import connect

from roost.events.event import Event, EventChange

CONFIG_KEYS = [
    "version", "mqtt.topic_prefix", "model.non_logo_attributes", "model.all_attributes", "birdseye.restream",
    "go2rtc.streams", "face_recognition.enabled", "lpr.enabled", "lpr.known_plates", "classification.custom",
]
CAMERA_KEYS = ["objects.track", "record.enabled", "motion.enabled", "motion.threshold", "motion.contour_area",
               "audio.enabled_in_config", "audio.listen", "live.streams", "onvif.autotracking.enabled_in_config",
               "zones.yard.objects"]
STATS_CAMERA_KEYS = {"camera_fps", "process_fps", "skipped_fps", "detection_fps", "capture_pid", "pid",
                     "ffmpeg_pid", "detection_enabled"}


def dig(data: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        assert isinstance(data, dict) and key in data, dotted
        data = data[key]
    return data


@pytest.fixture(scope="module")
def urls(seeded: Seeded) -> Iterator[tuple[str, str]]:
    with served(seeded.context) as both:
        yield both


def test_home_assistant_integration_flow(urls: tuple[str, str], seeded: Seeded) -> None:
    with httpx.Client(base_url=urls[0], timeout=10) as ha:
        version = ha.request("GET", "/api/version", json={})  # HA sends {} even on GETs
        assert version.headers["content-type"].startswith("text/plain")
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)-.+", version.text)
        assert match and (int(match[1]), int(match[2])) >= (0, 17)

        stats = ha.request("GET", "/api/stats", json={}).json()
        assert set(stats["cameras"]) == set(seeded.context.loaded.config.cameras)
        assert STATS_CAMERA_KEYS <= set(stats["front"]) and STATS_CAMERA_KEYS <= set(stats["cameras"]["back"])
        assert stats["cameras"]["back"]["camera_fps"] == 0
        assert {"version", "uptime", "latest_version", "temperatures", "storage"} <= set(stats["service"])
        assert "inference_speed" in stats["detectors"]["cpu"]

        config = ha.get("/api/config").json()
        for key in CONFIG_KEYS:
            dig(config, key)
        for key in CAMERA_KEYS:
            dig(config["cameras"]["front"], key)
        assert config["version"] == version.text
        assert "hunter2" not in json.dumps(config) and "secret-pass" not in json.dumps(config)

        events = ha.get("/api/events", params={"cameras": "front,back", "labels": "person,car", "sub_labels": "all",
                                                "zones": "all", "after": int(BASE - 10), "before": int(BASE + 1000),
                                                "limit": 50, "has_clip": 1, "has_snapshot": 1,
                                                "include_thumbnails": 0, "favorites": 0}).json()
        assert [e["id"] for e in events] == [seeded.events["with_media"].id]
        event = events[0]
        assert "thumbnail" not in event and isinstance(event["sub_label"], (str, type(None)))
        assert {"top_score", "score", "box", "region", "attributes", "type"} <= set(event["data"])

        summary = ha.get("/api/events/summary", params={"has_clip": 1, "has_snapshot": 1,
                                                        "timezone": "Europe/Berlin"}).json()
        assert summary == [{"camera": "front", "label": "person", "sub_label": None, "day": "2024-03-11",
                            "zones": ["yard"], "count": 1}]

        event_id = event["id"]
        assert ha.post(f"/api/events/{event_id}/retain", json={}).json()["success"] is True
        assert ha.get(f"/api/events/{event_id}").json()["retain_indefinitely"] is True
        assert ha.delete(f"/api/events/{event_id}/retain").json()["success"] is True
        for media, kind in (("snapshot.jpg", "image/jpeg"), ("thumbnail.jpg", "image/jpeg"), ("clip.mp4", "video/mp4")):
            response = ha.get(f"/api/events/{event_id}/{media}")
            assert response.status_code == 200 and response.headers["content-type"] == kind, media
        android = ha.get(f"/api/events/{event_id}/snapshot.jpg?format=android")
        assert android.status_code == 200
        recordings = ha.get("/api/front/recordings/summary", params={"timezone": "America/New_York"}).json()
        assert recordings[0]["hours"][0]["hour"] == "19"  # 23:30 UTC
        assert ha.get("/api/front/latest.jpg", params={"h": 277}).status_code == 200

    with httpx.Client(base_url=urls[1], timeout=10) as person:
        assert person.get("/api/stats").status_code == 401  # the second port wants a login


def test_websocket_pushes_hub_messages_and_takes_commands(urls: tuple[str, str], seeded: Seeded) -> None:
    ws_url = urls[0].replace("http://", "ws://") + "/ws"
    with connect(ws_url, open_timeout=5) as socket:
        first = [json.loads(socket.recv(timeout=5)) for _ in range(20)]  # every control state on connect
        assert {"topic": "front/detect/state", "payload": "ON"} in first
        event = Event(id="1.000000-wstest", camera="front", label="person", frame_time=2.0, start_time=1.0,
                      end_time=None, score=0.8, top_score=0.8, false_positive=False, box=(1, 2, 3, 4), area=4,
                      ratio=1.0, region=(0, 0, 10, 10))
        seeded.context.hub.publish(EventChange("new", event, event))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = json.loads(socket.recv(timeout=5))
            if message["topic"] == "events":
                assert json.loads(message["payload"])["after"]["id"] == "1.000000-wstest"
                break
        else:
            pytest.fail("no events message on the websocket")
        socket.send(json.dumps({"topic": "back/snapshots/set", "payload": "OFF"}))
        while time.monotonic() < deadline:
            message = json.loads(socket.recv(timeout=5))
            if message["topic"] == "back/snapshots/state":
                assert message["payload"] == "OFF"
                break
        assert not seeded.context.controls["back"].is_on("snapshots")
        socket.send("not json")  # ignored, the socket stays open
        socket.send(json.dumps({"topic": "back/snapshots/set", "payload": "ON"}))
        while json.loads(socket.recv(timeout=5))["topic"] != "back/snapshots/state":
            pass
        assert seeded.context.controls["back"].is_on("snapshots")
    with pytest.raises(Exception):  # the authenticated port closes sockets without a login
        with connect(urls[1].replace("http://", "ws://") + "/ws", open_timeout=5) as denied:
            denied.recv(timeout=5)
