"""The lines `serve` logs after "Roost started"."""

from __future__ import annotations

from roost.config import validate_raw
from roost.start_banner import start_banner

CAMERAS = {"c": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]}, "detect": {"width": 64, "height": 48}}}


def test_url_and_password_on_first_start() -> None:
    config = validate_raw({"cameras": CAMERAS}).config
    lines = start_banner(config, "pw-123")
    assert lines[0] == "Open http://localhost:8971/ in a browser (log in as admin)"
    assert "password 'pw-123'" in lines[1] and "auth.reset_admin_password" in lines[1]
    assert lines[2] == ("Trusted clients on this machine (no login): http://127.0.0.1:5000/; "
                        "Home Assistant elsewhere: port 8971 with a user (README, Security)")
    assert not any("password '" in line for line in start_banner(config, None))


def test_hosts_and_disabled_listeners() -> None:
    config = validate_raw({"cameras": CAMERAS, "auth": {"enabled": False},
                           "api": {"host": "192.168.1.5", "port": 5001}}).config
    assert start_banner(config, None) == ["Home Assistant / trusted clients (no login): http://192.168.1.5:5001/"]
