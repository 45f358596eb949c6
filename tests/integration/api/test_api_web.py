"""The web UI's server side: the page on both ports with the session in its boot JSON, the
static files (gzip, no login), the camera switches over HTTP, the log tail (admin only),
recording storage per camera and the stats history."""

from __future__ import annotations

import json
import logging
import re
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from api_seed import Seeded

from roost.api import create_app
from roost.api.users import upsert_user

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BOOT = re.compile(r'<script type="application/json" id="roost-boot">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def auth_client(seeded: Seeded) -> Iterator[TestClient]:
    upsert_user(seeded.context.database, "boss", "boss-password", "admin")
    upsert_user(seeded.context.database, "watcher", "watcher-password", "viewer")
    with TestClient(create_app(seeded.context, authenticated=True)) as client:
        yield client


def boot_of(html: str) -> dict[str, Any]:
    match = BOOT.search(html)
    assert match, html[:500]
    return dict(json.loads(match.group(1)))


def logged_in(client: TestClient, user: str, password: str) -> dict[str, str]:
    response = client.post("/api/login", json={"user": user, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.cookies['frigate_token']}"}


def test_page_on_the_trusted_port_acts_as_admin(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    boot = boot_of(response.text)
    assert boot["user"] == {"username": "anonymous", "role": "admin"} and boot["authenticated"] is False
    assert {"live", "camera", "system", "login"} <= set(boot["pages"])


def test_page_on_the_auth_port_embeds_who_is_logged_in(auth_client: TestClient) -> None:
    auth_client.cookies.clear()
    anonymous = auth_client.get("/")
    assert anonymous.status_code == 200  # the login form, not a 401
    assert boot_of(anonymous.text)["user"] is None and boot_of(anonymous.text)["authenticated"] is True
    headers = logged_in(auth_client, "watcher", "watcher-password")
    auth_client.cookies.clear()
    assert boot_of(auth_client.get("/", headers=headers).text)["user"] == {"username": "watcher", "role": "viewer"}
    garbage = auth_client.get("/", headers={"Authorization": "Bearer not-a-token"})
    assert garbage.status_code == 200 and boot_of(garbage.text)["user"] is None


def test_static_files_are_gzipped_revalidated_and_need_no_login(auth_client: TestClient) -> None:
    auth_client.cookies.clear()
    for path in ("/ui/app.js", "/ui/styles/base.css", "/ui/vendor/preact.mjs"):
        response = auth_client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers["content-encoding"] == "gzip" and response.headers["cache-control"] == "no-cache"
        assert len(response.content) > 0
    assert auth_client.get("/ui/app.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert auth_client.get("/ui/nothing.js").status_code == 404
    assert auth_client.get("/ui/%2e%2e/api/web.py").status_code in (400, 404)


def test_switches_apply_and_refusals_say_why(client: TestClient, seeded: Seeded) -> None:
    controls = seeded.context.controls["front"]
    assert client.get("/api/controls").json()["front"]["detect"] == ("ON" if controls.is_on("detect") else "OFF")
    try:
        answer = client.put("/api/front/controls/detect", json={"value": "ON"})
        assert answer.status_code == 200 and answer.json()["changed"]["detect"] == "ON"
        refused = client.put("/api/front/controls/motion", json={"value": "OFF"})
        assert refused.status_code == 400
        assert "motion detection cannot be turned off while object detection is on" in refused.json()["message"]
        assert controls.is_on("motion")
        off = client.put("/api/front/controls/detect", json={"value": False})
        assert off.status_code == 200 and not controls.is_on("detect")
        assert client.get("/api/controls").json()["front"]["detect"] == "OFF"
        assert client.put("/api/front/controls/threshold_x", json={"value": "1"}).status_code == 400
        assert client.put("/api/front/controls/motion_threshold", json={"value": "900"}).status_code == 400
        assert client.put("/api/nowhere/controls/detect", json={"value": "ON"}).status_code == 404
    finally:
        client.put("/api/front/controls/detect", json={"value": "ON"})


def test_viewers_cannot_flip_switches_or_read_the_log(auth_client: TestClient) -> None:
    auth_client.cookies.clear()
    viewer = logged_in(auth_client, "watcher", "watcher-password")
    auth_client.cookies.clear()
    assert auth_client.put("/api/front/controls/detect", json={"value": "OFF"}, headers=viewer).status_code == 403
    assert auth_client.get("/api/logs", headers=viewer).status_code == 403
    assert auth_client.get("/api/controls", headers=viewer).status_code == 200
    admin = logged_in(auth_client, "boss", "boss-password")
    auth_client.cookies.clear()
    assert auth_client.get("/api/logs", headers=admin).status_code == 200


def test_log_tail_filters_by_level_and_logger(client: TestClient) -> None:
    marker = uuid.uuid4().hex
    logging.getLogger("roost.webtest").warning("ring warning %s", marker)
    logging.getLogger("roost.webtest").error("ring error %s", marker)
    lines = client.get("/api/logs", params={"level": "warning", "limit": 5000}).json()["lines"]
    mine = [(line["level"], line["message"]) for line in lines if marker in line["message"]]
    assert mine == [("warning", f"ring warning {marker}"), ("error", f"ring error {marker}")]
    errors = client.get("/api/logs", params={"level": "error", "logger": "roost.webtest"}).json()
    assert [line["message"] for line in errors["lines"]][-1] == f"ring error {marker}"
    assert all(line["level"] in ("error", "critical") and line["logger"].startswith("roost.webtest")
               for line in errors["lines"])
    assert client.get("/api/logs", params={"level": "loud"}).status_code == 422
    assert client.get("/api/logs", params={"limit": 0}).status_code == 422


def test_recordings_storage_sums_segments_per_camera(client: TestClient, seeded: Seeded) -> None:
    storage = client.get("/api/recordings/storage").json()
    expected = sum(r.segment_size for r in seeded.recordings if r.camera == "front")
    assert storage["front"]["usage"] == pytest.approx(expected, abs=0.01)
    assert storage["back"] == {"usage": 0.0, "usage_percent": 0.0, "bandwidth": 0.0}


def test_stats_history_has_a_sample_from_the_start(client: TestClient) -> None:
    samples = client.get("/api/stats/history").json()["samples"]
    assert samples, "the sampler takes its first sample when the app starts"
    last = samples[-1]
    assert last["cameras"]["front"] == [5.0, 5.0, 0.0, 1.2] and last["cameras"]["back"] == [0.0, 0.0, 0.0, 0.0]
    assert last["detectors"] == {"cpu": 12.5}
    assert "roost (main)" in last["processes"]
    assert client.get("/api/stats/history", params={"minutes": 61}).status_code == 422
