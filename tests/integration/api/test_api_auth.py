"""The authenticated listener: admin created on first start, argon2 login with a JWT
cookie, wrong passwords rejected and rate-limited, viewers read but cannot change."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from api_seed import Seeded
from sqlalchemy import select

from roost.api import create_app
from roost.api.users import upsert_user
from roost.store.models import UserRow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def auth_app(seeded: Seeded, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Any, str]]:
    """An authenticated app; the admin's password is read from the log line printed once."""
    with seeded.context.database.read() as session:
        existing = session.get(UserRow, "admin")
    caplog.set_level(logging.WARNING, logger="roost.api.users")
    if existing is not None:
        seeded.context.database.write(lambda s: s.delete(s.get(UserRow, "admin")))
    app = create_app(seeded.context, authenticated=True)
    match = re.search(r"user 'admin'; password: (\S+)", caplog.text)
    assert match, caplog.text
    upsert_user(seeded.context.database, "viewer1", "viewer-pass", "viewer")
    yield app, match.group(1)


def login(client: Any, user: str, password: str) -> Any:
    return client.post("/api/login", json={"user": user, "password": password})


def test_admin_is_created_once_with_an_argon2_hash(auth_app: tuple[Any, str], seeded: Seeded,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    _, password = auth_app
    with seeded.context.database.read() as session:
        row = session.scalars(select(UserRow).where(UserRow.username == "admin")).one()
    assert row.role == "admin" and row.password_hash.startswith("$argon2") and password not in row.password_hash
    caplog.clear()
    create_app(seeded.context, authenticated=True)  # a second start: no new password
    assert "password:" not in caplog.text


def test_login_sets_the_cookie_and_unlocks_the_api(auth_app: tuple[Any, str], seeded: Seeded) -> None:
    app, password = auth_app
    with TestClient(app) as client:
        denied = client.get("/api/events")
        assert denied.status_code == 401 and denied.json()["success"] is False
        response = login(client, "admin", password)
        assert response.status_code == 200 and response.json()["role"] == "admin"
        assert seeded.context.loaded.config.auth.cookie_name in response.cookies
        assert client.get("/api/events").status_code == 200
        assert client.get("/api/profile").json() == {"username": "admin", "role": "admin"}
        event = seeded.events["car_back"].id
        assert client.post(f"/api/events/{event}/retain").status_code == 200
        assert client.delete(f"/api/events/{event}/retain").status_code == 200
        assert client.get("/api/logout").status_code == 200
        client.cookies.clear()
        assert client.get("/api/events").status_code == 401
        token_client = TestClient(app)
        token = login(token_client, "admin", password).cookies["frigate_token"]
        bearer = TestClient(app).get("/api/stats", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200
        assert TestClient(app).get("/api/stats", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_wrong_password_is_rejected_then_rate_limited(auth_app: tuple[Any, str]) -> None:
    app, password = auth_app
    with TestClient(app) as client:
        first = login(client, "admin", "wrong-password")
        assert first.status_code == 401 and "wrong" in first.json()["message"]
        assert login(client, "nobody", "whatever").status_code == 429  # 1/second of failures
        assert login(client, "admin", password).status_code == 429  # even the right one, for now
        assert "frigate_token" not in client.cookies


def test_viewer_reads_but_cannot_change(auth_app: tuple[Any, str], seeded: Seeded) -> None:
    app, _ = auth_app
    with TestClient(app) as client:
        assert login(client, "viewer1", "viewer-pass").status_code == 200
        assert client.get("/api/events").status_code == 200
        assert client.get(f"/api/events/{seeded.events['with_media'].id}/snapshot.jpg").status_code == 200
        event = seeded.events["car_back"].id
        for method, path, body in [
            ("POST", f"/api/events/{event}/retain", None),
            ("DELETE", f"/api/events/{event}", None),
            ("POST", f"/api/events/{event}/sub_label", {"subLabel": "x"}),
            ("POST", "/api/events/front/person/create", {}),
            ("POST", "/api/export/front/start/1/end/2", {}),
            ("POST", "/api/users", {"username": "eve", "password": "longenough", "role": "admin"}),
            ("PUT", "/api/users/admin/password", {"password": "takeover123"}),
        ]:
            response = client.request(method, path, json=body)
            assert response.status_code == 403, (method, path, response.text)
            assert "viewer" in response.json()["message"]
        assert client.get(f"/api/events/{event}").status_code == 200  # still there
        assert client.post("/api/reviews/viewed", json={"ids": ["nope"]}).status_code == 404  # allowed, unknown id
        assert client.put("/api/users/viewer1/password", json={"password": "new-viewer-pass"}).status_code == 200


def test_admin_manages_users(auth_app: tuple[Any, str]) -> None:
    app, password = auth_app
    with TestClient(app) as client:
        login(client, "admin", password)
        assert client.post("/api/users", json={"username": "carol", "password": "short", "role": "viewer"}).status_code == 422
        assert client.post("/api/users", json={"username": "carol", "password": "long-enough"}).status_code == 200
        assert client.post("/api/users", json={"username": "carol", "password": "long-enough"}).status_code == 409
        assert {"username": "carol", "role": "viewer"} in client.get("/api/users").json()
        assert client.put("/api/users/carol/role", json={"role": "admin"}).status_code == 200
        assert client.delete("/api/users/carol").status_code == 200
        assert client.delete("/api/users/admin").status_code == 400  # the last admin stays
        assert client.delete("/api/users/nobody").status_code == 404


def test_trusted_port_needs_no_login(client: Any) -> None:
    assert client.get("/api/events").status_code == 200
    assert client.get("/api/profile").json()["role"] == "admin"
    assert client.post("/api/login", json={"user": "a", "password": "b"}).status_code in (404, 405)
