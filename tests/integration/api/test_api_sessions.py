"""Sessions over real HTTP (both listeners by `serve_api`): X-Forwarded-For names the
client only when it comes from `auth.trusted_proxies`, so rotating it from loopback does
not escape the failed-login limit; and the warning when the trusted port is opened up."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from api_seed import Seeded, free_port, served

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from roost.api import ApiContext, serve_api
from roost.api.users import upsert_user

WRONG = {"user": "proxyuser", "password": "not-the-password"}


@contextmanager
def with_auth(seeded: Seeded, **auth: Any) -> Iterator[tuple[str, str]]:
    config = seeded.context.loaded.config
    context = dataclasses.replace(seeded.context, loaded=dataclasses.replace(seeded.context.loaded, config=config.model_copy(
        update={"auth": config.auth.model_copy(update=auth)})))
    with served(context) as urls:
        yield urls


def failed_logins(auth_url: str, forwarded: list[str | None]) -> list[int]:
    statuses = []
    with httpx.Client(base_url=auth_url, timeout=10) as client:
        for address in forwarded:
            headers = {"X-Forwarded-For": address} if address else {}
            statuses.append(client.post("/api/login", json=WRONG, headers=headers).status_code)
    return statuses


def test_rotating_forwarded_for_from_an_untrusted_peer_is_ignored(seeded: Seeded) -> None:
    upsert_user(seeded.context.database, "proxyuser", "the-password-1", "viewer")
    with with_auth(seeded, failed_login_rate_limit="3/minute") as (_, auth):
        statuses = failed_logins(auth, [f"10.9.0.{n}" for n in range(6)])
    assert statuses[:3] == [401, 401, 401] and statuses[3:] == [429, 429, 429]


def test_a_trusted_proxy_names_the_client(seeded: Seeded) -> None:
    upsert_user(seeded.context.database, "proxyuser", "the-password-1", "viewer")
    with with_auth(seeded, failed_login_rate_limit="3/minute", trusted_proxies=["127.0.0.0/8"]) as (_, auth):
        rotating = failed_logins(auth, [f"10.8.0.{n}" for n in range(6)])     # six clients, one failure each
        one_client = failed_logins(auth, ["10.7.0.1"] * 5)
        spoofed = failed_logins(auth, ["1.2.3.4, 10.7.0.1"] * 2)  # the proxy appended the real client
        with httpx.Client(base_url=auth, timeout=10) as client:
            good = client.post("/api/login", json={"user": "proxyuser", "password": "the-password-1"},
                               headers={"X-Forwarded-For": "10.6.0.1", "X-Forwarded-Proto": "https"})
    assert rotating == [401] * 6
    assert one_client == [401, 401, 401, 429, 429] and spoofed == [429, 429]
    assert good.status_code == 200 and "secure" in good.headers["set-cookie"].lower()


def test_a_revoked_token_is_refused_everywhere(seeded: Seeded) -> None:
    upsert_user(seeded.context.database, "sessionuser", "the-password-1", "admin")
    with with_auth(seeded) as (_, auth), httpx.Client(base_url=auth, timeout=10) as client:
        token = client.post("/api/login", json={"user": "sessionuser", "password": "the-password-1"}).cookies["frigate_token"]
        header = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/profile", headers=header).json()["username"] == "sessionuser"
        assert client.post("/api/logout", headers=header).status_code == 200
        assert client.get("/api/profile", headers=header).status_code == 401
        ws = auth.replace("http://", "ws://") + "/ws"
        with pytest.raises(InvalidStatus):  # the socket is refused: the session ended
            with connect(ws, additional_headers=header, open_timeout=5) as socket_:
                socket_.recv(timeout=5)


def test_opening_the_trusted_port_to_the_network_is_warned_about(seeded: Seeded,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    config = seeded.context.loaded.config
    context: ApiContext = dataclasses.replace(seeded.context, loaded=dataclasses.replace(
        seeded.context.loaded, config=config.model_copy(update={
            "api": config.api.model_copy(update={"host": "0.0.0.0", "port": free_port()}),
            "auth": config.auth.model_copy(update={"enabled": False})})))
    caplog.set_level(logging.WARNING, logger="roost.api.server")
    stop = threading.Event()
    servers = serve_api(context, stop)
    try:
        assert servers.wait_started()
    finally:
        stop.set()
        servers.stop()
    warnings = [r.getMessage() for r in caplog.records if "open beyond this machine" in r.getMessage()]
    assert len(warnings) == 1 and "api.host: 0.0.0.0" in warnings[0]
