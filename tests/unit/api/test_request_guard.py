"""The request guard's pure decisions: which origins are this server's, which body rule a
path gets, the framing headers; who a request comes from behind proxies; and the shared
response cache (one build for concurrent requests, fresh after a write)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from starlette.datastructures import Headers

from roost.api.client_address import forwarded_client, is_loopback, is_trusted_proxy
from roost.api.request_guard import DEFAULT_RULE, IMPORT_LIMIT, UPLOAD_LIMIT, body_rule, cross_site_reason, frame_policy
from roost.api.response_cache import ResponseCache

HOST = {"host": "nvr.lan:8971"}
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a thread of its own (another test may leave a loop running on this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.parametrize(("headers", "allowed", "refused"), [
    ({}, [], False),                                                    # Home Assistant, curl: no Origin
    ({"origin": "http://nvr.lan:8971"}, [], False),                     # the UI itself
    ({"origin": "HTTP://NVR.LAN:8971"}, [], False),                     # case does not matter
    ({"origin": "http://nvr.lan"}, [], True),                           # another port is another origin
    ({"origin": "http://evil.example"}, [], True),
    ({"origin": "null"}, [], True),                                     # sandboxed frame, file://
    ({"origin": "https://ha.lan:8123"}, ["https://ha.lan:8123"], False),  # allow-listed
    ({"sec-fetch-site": "cross-site"}, [], True),                       # a browser says so, no Origin
    ({"sec-fetch-site": "same-origin"}, [], False),
])
def test_cross_site_decisions(headers: dict[str, str], allowed: list[str], refused: bool) -> None:
    assert (cross_site_reason(Headers({**HOST, **headers}), allowed, False) is not None) is refused


def test_forwarded_host_counts_only_from_a_trusted_proxy() -> None:
    headers = Headers({"host": "127.0.0.1:8971", "origin": "https://nvr.example.com",
                       "x-forwarded-host": "nvr.example.com", "x-forwarded-proto": "https"})
    assert cross_site_reason(headers, [], from_trusted_proxy=True) is None
    assert cross_site_reason(headers, [], from_trusted_proxy=False) is not None


def test_default_ports_are_the_same_origin() -> None:
    assert cross_site_reason(Headers({"host": "nvr.lan", "origin": "http://nvr.lan:80"}), [], False) is None


def test_body_rules_per_route() -> None:
    assert body_rule("/api/classification/import").limit == IMPORT_LIMIT
    assert body_rule("/classification/import").types == ()                      # any type: checked as a zip
    upload = body_rule("/api/classification/door/dataset/open/upload")
    assert upload.limit == UPLOAD_LIMIT and upload.types == ("multipart/form-data",)
    assert body_rule("/api/config/save").limit == 4 * 2**20
    assert body_rule("/api/events/1.0-abc/sub_label") is DEFAULT_RULE and DEFAULT_RULE.types == ("application/json",)


def test_frame_policy() -> None:
    own = dict(frame_policy([]))
    assert own[b"x-frame-options"] == b"SAMEORIGIN" and own[b"content-security-policy"] == b"frame-ancestors 'self'"
    assert own[b"x-content-type-options"] == b"nosniff"
    allowed = dict(frame_policy(["https://ha.lan:8123"]))
    assert b"x-frame-options" not in allowed  # it cannot list origins; CSP governs
    assert allowed[b"content-security-policy"] == b"frame-ancestors 'self' https://ha.lan:8123"


@pytest.mark.parametrize(("peer", "header", "trusted", "client"), [
    ("127.0.0.1", "1.2.3.4", [], "127.0.0.1"),                          # loopback is not a proxy by default
    ("127.0.0.1", "1.2.3.4", ["127.0.0.1"], "1.2.3.4"),
    ("172.18.0.2", "9.9.9.9, 1.2.3.4", ["172.16.0.0/12"], "1.2.3.4"),  # the left part is the client's own claim
    ("172.18.0.2", "1.2.3.4, 172.18.0.9", ["172.16.0.0/12"], "1.2.3.4"),  # skip inner trusted hops
    ("10.0.0.7", "1.2.3.4", ["172.16.0.0/12"], "10.0.0.7"),
    ("::1", "2001:db8::1", ["::1"], "2001:db8::1"),
    ("127.0.0.1", None, ["127.0.0.1"], "127.0.0.1"),
])
def test_forwarded_client(peer: str, header: str | None, trusted: list[str], client: str) -> None:
    assert forwarded_client(peer, header, trusted) == client


def test_unparsable_addresses_are_never_trusted() -> None:
    assert not is_trusted_proxy("testclient", ["0.0.0.0/0"])
    assert is_trusted_proxy("8.8.8.8", ["0.0.0.0/0"])


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("[::1]", True),
                                                ("localhost", True), ("0.0.0.0", False), ("::", False),
                                                ("192.168.1.5", False), ("nvr.lan", False)])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_concurrent_requests_share_one_build_until_the_generation_moves() -> None:
    cache = ResponseCache(max_age_s=60)
    builds: list[int] = []
    lock = threading.Lock()

    def make() -> bytes:
        time.sleep(0.1)
        with lock:
            builds.append(1)
        return f"body{len(builds)}".encode()

    async def scenario() -> tuple[list[bytes], bytes, int, bytes]:
        first = await asyncio.gather(*(cache.get("events?limit=5", 7, make) for _ in range(50)))
        same = await cache.get("events?limit=5", 7, make)
        made = cache.made
        after_write = await cache.get("events?limit=5", 8, make)
        return list(first), same, made, after_write

    first, same, made, after_write = run(scenario())
    assert set(first) == {b"body1"} and same == b"body1" and made == 1
    assert after_write == b"body2" and cache.made == 2


def test_answers_expire_after_max_age() -> None:
    cache = ResponseCache(max_age_s=0.05)
    counter = iter(range(100))

    async def scenario() -> tuple[bytes, bytes]:
        first = await cache.get("stats", 0, lambda: str(next(counter)).encode())
        await asyncio.sleep(0.1)
        return first, await cache.get("stats", 0, lambda: str(next(counter)).encode())

    assert run(scenario()) == (b"0", b"1")


def test_a_failed_build_is_not_cached() -> None:
    cache = ResponseCache()

    def broken() -> bytes:
        raise RuntimeError("database gone")

    async def scenario() -> bytes:
        with pytest.raises(RuntimeError):
            await cache.get("k", 0, broken)
        return await cache.get("k", 0, lambda: b"ok")

    assert run(scenario()) == b"ok"
