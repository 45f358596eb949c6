"""Hostile requests against a real `roost serve` (pipeline running, both ports): what a
machine on the LAN, a web page in the user's browser or a careless client can send must
not run commands, change state cross-site, exhaust memory or disk, outlive a logout, or
get a 5xx or a leaked temporary file."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest
from hostile_server import ADMIN, VIEWER, HostileServer, start_hostile_server
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

EVIL = "http://evil.example"
MiB = 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileServer]:
    running = start_hostile_server(tmp_path_factory.mktemp("hostile"))
    try:
        yield running
    finally:
        running.stop()


def login(server: HostileServer, user: str, password: str) -> str:
    response = httpx.post(f"{server.auth}/api/login", json={"user": user, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return response.cookies["frigate_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rss(server: HostileServer) -> int:
    return int(psutil.Process(server.process.pid).memory_info().rss)


# 1. The trusted port --------------------------------------------------------------------

def test_trusted_port_listens_on_loopback_only_by_default(server: HostileServer) -> None:
    listening = [c.laddr for c in psutil.Process(server.process.pid).net_connections(kind="tcp")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == server.local_port]
    assert listening and all(address.ip == "127.0.0.1" for address in listening), listening
    assert "open beyond this machine" not in server.log()


def test_config_changes_to_what_roost_runs_need_an_admin_on_the_login_port(server: HostileServer) -> None:
    before = server.config_path.read_text()
    attacks: list[tuple[str, str, dict[str, Any]]] = [
        ("PUT", "/api/config/set", {"json": {"config_data": {"ffmpeg": {"global_args": "-loglevel info"}}}}),
        ("PUT", "/api/config/set?cameras.yard.ffmpeg.path=/bin/sh", {}),
        ("PUT", "/api/config/set", {"json": {"config_data": {"cameras": {"yard": {"ffmpeg": {
            "input_args": "-re -i /etc/shadow"}}}}}}),
        ("PUT", "/api/config/set", {"json": {"config_data": {"environment_vars": {"LD_PRELOAD": "/tmp/x.so"}}}}),
        ("POST", "/api/config/save", {"json": {"text": before + "ffmpeg:\n  path: /tmp/evil\n"}}),
    ]
    for method, path, kwargs in attacks:
        response = httpx.request(method, f"{server.local}{path}", timeout=10, **kwargs)
        assert response.status_code == 403, (path, response.text)
        assert "authenticated port" in response.json()["message"], response.text
    assert server.config_path.read_text() == before
    # What does not change what Roost runs is still allowed on the trusted port (Home Assistant).
    harmless = httpx.put(f"{server.local}/api/config/set?cameras.yard.motion.threshold=40", timeout=10)
    assert harmless.status_code == 200, harmless.text
    viewer = login(server, *VIEWER)
    change = {"config_data": {"ffmpeg": {"global_args": "-hide_banner -loglevel warning"}}}
    assert httpx.put(f"{server.auth}/api/config/set", json=change, headers=bearer(viewer), timeout=10).status_code == 403
    admin = login(server, *ADMIN)
    allowed = httpx.put(f"{server.auth}/api/config/set", json=change, headers=bearer(admin), timeout=10)
    assert allowed.status_code == 200, allowed.text
    assert "-hide_banner -loglevel warning" in server.config_path.read_text()


# 2. Cross-site ---------------------------------------------------------------------------

def first_message(url: str, **kwargs: Any) -> dict[str, Any]:
    with connect(url, open_timeout=10, **kwargs) as socket_:
        return dict(json.loads(socket_.recv(timeout=10)))


def test_websocket_refuses_other_origins(server: HostileServer) -> None:
    ws = server.local.replace("http://", "ws://") + "/ws"
    with pytest.raises(InvalidStatus) as refused:
        first_message(ws, origin=EVIL)
    assert refused.value.response.status_code == 403
    assert "topic" in first_message(ws, origin=server.local)   # the UI's own origin
    assert "topic" in first_message(ws)                        # no Origin: Home Assistant, scripts
    admin = login(server, *ADMIN)
    auth_ws = server.auth.replace("http://", "ws://") + "/ws"
    with pytest.raises(InvalidStatus):
        first_message(auth_ws, origin=EVIL, additional_headers={"Cookie": f"frigate_token={admin}"})
    assert "topic" in first_message(auth_ws, origin=server.auth, additional_headers={"Cookie": f"frigate_token={admin}"})


def test_a_page_on_another_site_cannot_command_the_websocket(server: HostileServer) -> None:
    ws = server.local.replace("http://", "ws://") + "/ws"
    with pytest.raises(InvalidStatus):
        with connect(ws, origin=EVIL, open_timeout=10) as evil:
            evil.send(json.dumps({"topic": "yard/detect/set", "payload": "OFF"}))
    time.sleep(0.5)
    assert httpx.get(f"{server.local}/api/stats", timeout=10).json()["cameras"]["yard"]["detection_enabled"]


def retained(server: HostileServer, event_id: str) -> bool:
    return bool(httpx.get(f"{server.local}/api/events/{event_id}", timeout=10).json()["retain_indefinitely"])


def test_cross_site_changes_are_refused_and_home_assistant_calls_pass(server: HostileServer) -> None:
    created = httpx.post(f"{server.local}/api/events/yard/person/create", timeout=10)  # body-less, as HA may
    assert created.status_code == 200, created.text
    event_id = created.json()["event_id"]
    retain = f"{server.local}/api/events/{event_id}/retain"
    for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        response = httpx.post(retain, headers=headers, timeout=10)
        assert response.status_code == 403 and "cross-site" in response.json()["message"], response.text
    refused_create = httpx.post(f"{server.local}/api/events/yard/person/create", headers={"Origin": EVIL}, timeout=10)
    assert refused_create.status_code == 403
    assert not retained(server, event_id)
    # A form-style body (no CORS preflight) is not JSON: 415, nothing changes.
    form = httpx.post(retain, content=b"x=1", headers={"Content-Type": "text/plain"}, timeout=10)
    assert form.status_code == 415 and "application/json" in form.json()["message"]
    sub_label = f"{server.local}/api/events/{event_id}/sub_label"
    plain = httpx.post(sub_label, content=json.dumps({"subLabel": "mallory"}), headers={"Content-Type": "text/plain"},
                       timeout=10)
    assert plain.status_code == 415
    assert not retained(server, event_id)
    # Home Assistant: no Origin, body-less or `{}` JSON; the UI: its own Origin.
    assert httpx.post(retain, timeout=10).status_code == 200 and retained(server, event_id)
    assert httpx.request("DELETE", retain, json={}, timeout=10).status_code == 200 and not retained(server, event_id)
    assert httpx.post(retain, headers={"Origin": server.local}, timeout=10).status_code == 200
    assert httpx.post(sub_label, json={"subLabel": "bob"}, timeout=10).status_code == 200
    login_from_evil = httpx.post(f"{server.auth}/api/login", json={"user": ADMIN[0], "password": ADMIN[1]},
                                 headers={"Origin": EVIL}, timeout=10)
    assert login_from_evil.status_code == 403
    httpx.put(f"{server.local}/api/events/{event_id}/end", timeout=10)


def test_every_response_carries_the_security_headers(server: HostileServer) -> None:
    admin = login(server, *ADMIN)
    requests = [("GET", f"{base}{path}", {}) for base in (server.local, server.auth)
                for path in ("/", "/api/version", "/api/stats", "/api/nope/latest.jpg", "/ui/app.js")]
    requests += [("POST", f"{server.local}/api/restart", {"headers": {"Origin": EVIL}}),     # refused by the guard
                 ("POST", f"{server.local}/api/reviews/viewed", {"content": b"x", "headers": {"Content-Type": "text/plain"}}),
                 ("GET", f"{server.auth}/api/events", {"headers": bearer(admin)})]
    for method, url, kwargs in requests:
        response = httpx.request(method, url, timeout=10, **kwargs)
        assert response.headers.get("x-content-type-options") == "nosniff", (url, response.status_code)
        assert response.headers.get("x-frame-options") == "SAMEORIGIN", url
        assert response.headers.get("content-security-policy") == "frame-ancestors 'self'", url


# 3. Resource limits ----------------------------------------------------------------------

def raw_post(port: int, path: str, headers: str, body_chunks: Iterator[bytes], timeout: float = 60) -> tuple[int, str]:
    """Send a POST with the given extra header lines, streaming `body_chunks` until the
    server answers or closes; (status, body) of its answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                     f"{headers}\r\n".encode())
        answer = bytearray()
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                answer.extend(data)
                if b"\r\n\r\n" in answer:
                    head, _, rest = bytes(answer).partition(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), 0)
                    if len(rest) >= length:
                        stop.set()
                        return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        for chunk in body_chunks:
            if stop.is_set():
                break
            try:
                sock.sendall(chunk)
            except OSError:
                break
        reader.join(timeout)
    head, _, body = bytes(answer).partition(b"\r\n\r\n")
    assert head, "no answer"
    return int(head.split(b" ", 2)[1]), body.decode(errors="replace")


def test_a_300_mb_json_body_is_refused_at_the_limit(server: HostileServer) -> None:
    memory = rss(server)
    started = time.monotonic()
    status, body = raw_post(server.local_port, "/api/reviews/viewed", f"Content-Length: {300 * MiB}\r\n",
                            iter([b"[" + b"1," * (MiB // 2)]))
    assert status == 413 and "larger than" in json.loads(body)["message"]
    assert time.monotonic() - started < 10  # answered at once, not after reading 300 MB

    def chunked() -> Iterator[bytes]:
        piece = b"1," * (MiB // 2)
        for _ in range(300):
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"

    status, body = raw_post(server.local_port, "/api/reviews/viewed", "Transfer-Encoding: chunked\r\n", chunked())
    assert status == 413 and "1 MB" in json.loads(body)["message"]
    assert rss(server) - memory < 64 * MiB


def classifier_archive(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("roost-classifier.json", json.dumps({"format": 1, "model": "bomb"}))
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer


def test_a_zip_bomb_is_refused_without_unpacking_it(server: HostileServer) -> None:
    buffer = classifier_archive({"model/labelmap.txt": b"a\nb\n", "model/metadata.json": b"{}",
                                 "model/model.onnx": b"x"})
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("dataset/a/bomb.png", "w") as out:
        zeros = bytes(MiB)
        for _ in range(600):                                   # 600 MB of zeros in about 0.6 MB
            out.write(zeros)
    memory = rss(server)
    response = httpx.post(f"{server.local}/api/classification/import?name=bomb", content=buffer.getvalue(),
                          headers={"Content-Type": "application/zip"}, timeout=60)
    assert response.status_code == 400 and "zip bomb" in response.json()["message"], response.text
    assert rss(server) - memory < 64 * MiB
    assert server.leftovers() == []


def test_a_damaged_archive_is_a_clear_400_that_names_no_server_path(server: HostileServer) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("roost-classifier.json", json.dumps({"format": 1, "model": "crc"}))
        archive.writestr("model/labelmap.txt", b"open\nclosed\n" * 100)
    data = bytearray(buffer.getvalue())
    at = data.index(b"open\nclosed\n")
    data[at] ^= 0xFF                                           # one flipped byte: a bad CRC-32
    for body, what in ((bytes(data), "damaged"), (bytes(data[: len(data) // 2]), "zip"), (b"PK\x03\x04junk", "zip")):
        response = httpx.post(f"{server.local}/api/classification/import", content=body,
                              headers={"Content-Type": "application/zip"}, timeout=30)
        assert response.status_code == 400 and what in response.json()["message"], response.text
        assert str(server.tmpdir) not in response.text and "/tmp" not in response.text
    assert server.leftovers() == []


# 4. Sessions -----------------------------------------------------------------------------

def test_logout_ends_every_session_of_the_user(server: HostileServer) -> None:
    first, second = login(server, *ADMIN), login(server, *ADMIN)
    assert httpx.get(f"{server.auth}/api/events", headers=bearer(first), timeout=10).status_code == 200
    assert httpx.get(f"{server.auth}/api/logout", headers=bearer(first), timeout=10).status_code == 200
    for token in (first, second):
        revoked = httpx.get(f"{server.auth}/api/events", headers=bearer(token), timeout=10)
        assert revoked.status_code == 401 and "session ended" in revoked.json()["message"]
    assert httpx.get(f"{server.auth}/api/events", headers=bearer(login(server, *ADMIN)), timeout=10).status_code == 200


def test_a_password_change_ends_the_old_sessions(server: HostileServer) -> None:
    old = login(server, *VIEWER)
    changed = httpx.put(f"{server.auth}/api/users/{VIEWER[0]}/password", json={"password": "viewer-password-2"},
                        headers=bearer(old), timeout=10)
    assert changed.status_code == 200, changed.text
    assert httpx.get(f"{server.auth}/api/stats", headers=bearer(old), timeout=10).status_code == 401
    new = login(server, VIEWER[0], "viewer-password-2")
    assert httpx.get(f"{server.auth}/api/stats", headers=bearer(new), timeout=10).status_code == 200


def test_path_like_user_names_are_refused(server: HostileServer) -> None:
    admin = login(server, *ADMIN)
    for name in ("..", ".", ".hidden", "../admin", "-rf", "a/b"):
        response = httpx.post(f"{server.auth}/api/users", json={"username": name, "password": "long-enough-1"},
                              headers=bearer(admin), timeout=10)
        assert response.status_code == 422, (name, response.text)
    names = [u["username"] for u in httpx.get(f"{server.auth}/api/users", headers=bearer(admin), timeout=10).json()]
    assert sorted(names) == ["admin", "viewer"]


def test_the_database_file_is_private(server: HostileServer) -> None:
    for name in ("roost.db", "roost.db-wal"):
        path = server.media / name
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600, name


# 5. No 5xx, no leaked temporary files -------------------------------------------------------

HOSTILE_NUMBERS = ("NaN", "nan", "inf", "-inf", "Infinity", "1e309", "1e300", "-1", "99999999999999999999")


def test_nan_and_huge_times_are_400_and_leave_nothing_behind(server: HostileServer) -> None:
    for value in HOSTILE_NUMBERS:
        for method, path in (("GET", f"/api/yard/start/{value}/end/1710000000/clip.mp4"),
                             ("GET", f"/api/yard/start/1710000000/end/{value}/clip.mp4"),
                             ("GET", f"/vod/yard/start/{value}/end/1710000000/index.m3u8"),
                             ("POST", f"/api/export/yard/start/{value}/end/1710000000")):
            response = httpx.request(method, f"{server.local}{path}", timeout=30)
            assert response.status_code == 400, (path, response.status_code, response.text)
    assert server.leftovers() == []


@pytest.mark.slow
def test_hostile_numbers_anywhere_never_give_a_5xx(server: HostileServer) -> None:
    created = httpx.post(f"{server.local}/api/events/yard/person/create", json={"duration": 5}, timeout=10).json()
    event_id = created["event_id"]
    for value in HOSTILE_NUMBERS:
        targets = [("GET", f"/api/events?after={value}&before={value}&min_score={value}&limit=5"),
                   ("GET", f"/api/review?after={value}&before={value}"),
                   ("GET", f"/api/yard/recordings?after={value}&before={value}"),
                   ("GET", f"/api/stats/history?minutes={value}"),
                   ("GET", f"/api/yard/latest.jpg?h={value}"),
                   ("GET", f"/api/events/{event_id}/snapshot.jpg?h={value}"),
                   ("GET", f"/api/events/{event_id}/preview.gif?h={value}"),
                   ("PUT", f"/api/yard/controls/motion_threshold?value={value}")]
        for method, path in targets:
            response = httpx.request(method, f"{server.local}{path}", timeout=30)
            assert response.status_code < 500, (path, response.status_code, response.text)
        for body in (f'{{"duration": {value}}}', f'{{"score": {value}}}'):
            response = httpx.post(f"{server.local}/api/events/yard/person/create", content=body,
                                  headers={"Content-Type": "application/json"}, timeout=10)
            assert response.status_code < 500, (body, response.text)
        response = httpx.put(f"{server.local}/api/events/nope/end", content=f'{{"end_time": {value}}}',
                             headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code < 500
    assert server.process.poll() is None and server.leftovers() == []
