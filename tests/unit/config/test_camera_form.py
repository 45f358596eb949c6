"""The camera form of the web UI ⇄ the config file: credentials entered once, stored as a
`{FRIGATE_*}` reference, never shown back; other keys of the camera kept."""

from __future__ import annotations

import pytest

from roost.config.camera_form import (
    CameraForm, StreamForm, camera_change, form_of, password_variable, probe_url, split_credentials,
)


@pytest.mark.parametrize(("url", "expected"), [
    ("rtsp://admin:pw@10.0.0.5:554/live", ("rtsp://10.0.0.5:554/live", "admin", "pw")),
    ("rtsp://admin@cam/a", ("rtsp://cam/a", "admin", "")),
    ("rtsp://cam/a@b", ("rtsp://cam/a@b", "", "")),  # an @ in the path is not userinfo
    ("rtsp://u:p@ss@cam/x", ("rtsp://cam/x", "u", "p@ss")),
    ("/media/video.mp4", ("/media/video.mp4", "", "")),
    ("rtsp://{FRIGATE_USER}:{FRIGATE_PW}@cam/", ("rtsp://cam/", "{FRIGATE_USER}", "{FRIGATE_PW}")),
])
def test_split_credentials(url: str, expected: tuple[str, str, str]) -> None:
    assert split_credentials(url) == expected


def test_new_password_is_stored_as_a_reference_for_every_stream() -> None:
    form = CameraForm((StreamForm("rtsp://cam/main", ("record",)), StreamForm("rtsp://cam/sub", ("detect",))),
                      "admin", "s3cr:t@!", width=640, height=360, fps=5)
    change = camera_change("front-door", form, None)
    variable = password_variable("front-door")
    assert variable == "FRIGATE_FRONT_DOOR_PASSWORD"
    assert change["environment_vars"] == {variable: "s3cr%3At%40%21"}
    inputs = change["cameras"]["front-door"]["ffmpeg"]["inputs"]
    assert [i["path"] for i in inputs] == [f"rtsp://admin:{{{variable}}}@cam/main", f"rtsp://admin:{{{variable}}}@cam/sub"]
    assert "s3cr" not in str(change["cameras"])
    assert change["cameras"]["front-door"]["detect"] == {"width": 640, "height": 360, "fps": 5}


def test_unchanged_password_keeps_what_the_file_has() -> None:
    raw = {"ffmpeg": {"inputs": [{"path": "rtsp://admin:literal@cam/1", "roles": ["detect"],
                                  "hwaccel_args": "preset-vaapi"}]}, "zones": {"z": {}}}
    change = camera_change("c", CameraForm((StreamForm("rtsp://cam/2", ("detect", "record")),), "admin"), raw)
    entry = change["cameras"]["c"]["ffmpeg"]["inputs"][0]
    assert entry == {"path": "rtsp://admin:literal@cam/2", "roles": ["detect", "record"], "hwaccel_args": "preset-vaapi"}
    assert "environment_vars" not in change and "zones" not in change["cameras"]["c"]


def test_form_shows_no_password() -> None:
    raw = {"enabled": False, "detect": {"width": 320, "height": 240},
           "ffmpeg": {"inputs": [{"path": "rtsp://bob:hunter2@cam/1", "roles": ["detect"], "input_args": "-re"}]}}
    shown = form_of(raw)
    assert "hunter2" not in str(shown)
    assert shown == {"inputs": [{"path": "rtsp://cam/1", "roles": ["detect"], "input_args": "-re"}],
                     "username": "bob", "has_password": True, "enabled": False, "width": 320, "height": 240, "fps": None}


def test_probe_url_uses_the_stored_password_resolved() -> None:
    raw = {"ffmpeg": {"inputs": [{"path": "rtsp://bob:{FRIGATE_C_PASSWORD}@cam/1", "roles": ["detect"]}]}}
    env = {"FRIGATE_C_PASSWORD": "pw%21"}
    assert probe_url("rtsp://cam/1", "bob", None, raw, env) == "rtsp://bob:pw%21@cam/1"
    assert probe_url("rtsp://cam/1", "bob", "new!", raw, env) == "rtsp://bob:new%21@cam/1"
    assert probe_url("/tmp/v.mp4", "", None, None, env) == "/tmp/v.mp4"
