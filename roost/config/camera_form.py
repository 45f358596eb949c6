"""The web UI's camera form ⇄ the config file's camera section.

Credentials are entered once, for all of a camera's streams, and never shown back: the
form carries stream URLs without them, a user name and, only when it changes, a password.
A new password is written as Frigate's `{FRIGATE_<CAMERA>_PASSWORD}` substitution inside
each URL, its value under `environment_vars` (which Frigate also reads), so the URLs in the
file, `/api/config` and every log carry the reference, not the password. An unchanged
password keeps whatever the file had (a reference or a literal).

Pure functions over the raw (unsubstituted) YAML tree; `roost.api.camera_setup` does the I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

#: `{FRIGATE_NAME}` references, as `roost.config.loading` substitutes them.
ENV_REFERENCE = re.compile(r"\{(FRIGATE_[A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class StreamForm:
    """One input as the form edits it: `path` without credentials; `input_args` None keeps
    what the file has (for a new input: Roost's defaults)."""

    path: str
    roles: tuple[str, ...]
    input_args: str | None = None


@dataclass(frozen=True)
class CameraForm:
    inputs: tuple[StreamForm, ...]
    username: str = ""
    password: str | None = None  # None or "": keep the stored one
    enabled: bool = True
    width: int | None = None
    height: int | None = None
    fps: int | None = None


def password_variable(camera: str) -> str:
    """`front-door` → `FRIGATE_FRONT_DOOR_PASSWORD`."""
    return "FRIGATE_" + re.sub(r"[^A-Za-z0-9]", "_", camera).upper() + "_PASSWORD"


def split_credentials(url: str) -> tuple[str, str, str]:
    """(url without `user:password@`, user, password) — the parts as written (references
    stay references). Paths without a scheme (files) have no credentials.

    >>> split_credentials("rtsp://admin:{FRIGATE_PW}@10.0.0.5:554/live")
    ('rtsp://10.0.0.5:554/live', 'admin', '{FRIGATE_PW}')
    """
    if "://" not in url:
        return url, "", ""
    scheme, rest = url.split("://", 1)
    authority, slash, tail = rest.partition("/")
    if "@" not in authority:
        return url, "", ""
    userinfo, host = authority.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    return f"{scheme}://{host}{slash}{tail}", user, password


def with_credentials(url: str, user: str, password: str) -> str:
    """`url` (credential-free) with `user:password@` put in, when it has a scheme and a user.

    >>> with_credentials("rtsp://cam:554/a", "admin", "{FRIGATE_X_PASSWORD}")
    'rtsp://admin:{FRIGATE_X_PASSWORD}@cam:554/a'
    """
    if not user or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    userinfo = user + (f":{password}" if password else "")
    return f"{scheme}://{userinfo}@{rest}"


def safe_url(url: str) -> str:
    """A URL fit to show: credentials gone, references kept (they are not secret)."""
    return split_credentials(url)[0]


def _raw_inputs(raw_camera: dict[str, Any] | None) -> list[dict[str, Any]]:
    ffmpeg = (raw_camera or {}).get("ffmpeg") or {}
    inputs = ffmpeg.get("inputs") if isinstance(ffmpeg, dict) else None
    return [i for i in inputs if isinstance(i, dict)] if isinstance(inputs, list) else []


def stored_credentials(raw_camera: dict[str, Any] | None) -> tuple[str, str]:
    """(user, password) of the first input that has them, as written in the file."""
    for stream in _raw_inputs(raw_camera):
        _, user, password = split_credentials(str(stream.get("path", "")))
        if user:
            return user, password
    return "", ""


def form_of(raw_camera: dict[str, Any]) -> dict[str, Any]:
    """What the form shows for a camera of the file: no password, only whether there is one."""
    user, password = stored_credentials(raw_camera)
    detect_section = raw_camera.get("detect")
    detect: dict[str, Any] = detect_section if isinstance(detect_section, dict) else {}
    args = [stream.get("input_args") for stream in _raw_inputs(raw_camera)]
    return {
        "inputs": [{"path": safe_url(str(s.get("path", ""))), "roles": list(s.get("roles") or []),
                    "input_args": a if isinstance(a, str) else " ".join(map(str, a)) if isinstance(a, list) else None}
                   for s, a in zip(_raw_inputs(raw_camera), args)],
        "username": user,
        "has_password": bool(password),
        "enabled": raw_camera.get("enabled", True) is not False,
        "width": detect.get("width"), "height": detect.get("height"), "fps": detect.get("fps"),
    }


def camera_change(name: str, form: CameraForm, raw_camera: dict[str, Any] | None) -> dict[str, Any]:
    """The nested config change (for `roost.config.writeback.apply_change`) that makes camera
    `name` what the form says. Keys of existing inputs the form does not edit (hwaccel, ...)
    and every other key of the camera stay as they are."""
    _, stored_password = stored_credentials(raw_camera)
    env: dict[str, str] = {}
    if form.password:
        variable = password_variable(name)
        env[variable] = quote(form.password, safe="")
        password = "{" + variable + "}"
    else:
        password = stored_password
    user = quote(form.username, safe="{}") if form.username else ""
    existing = _raw_inputs(raw_camera)
    inputs: list[dict[str, Any]] = []
    for index, stream in enumerate(form.inputs):
        entry = dict(existing[index]) if index < len(existing) else {}
        entry["path"] = with_credentials(split_credentials(stream.path.strip())[0], user, password)
        entry["roles"] = list(stream.roles)
        if stream.input_args is not None:
            if stream.input_args.strip():
                entry["input_args"] = stream.input_args.strip()
            else:
                entry.pop("input_args", None)
        inputs.append(entry)
    detect: dict[str, Any] = {key: value for key, value in
                              (("width", form.width), ("height", form.height), ("fps", form.fps)) if value}
    camera: dict[str, Any] = {"enabled": form.enabled, "ffmpeg": {"inputs": inputs}}
    if detect:
        camera["detect"] = detect
    change: dict[str, Any] = {"cameras": {name: camera}}
    if env:
        change["environment_vars"] = env
    return change


def resolve_references(text: str, environment: dict[str, str]) -> str:
    """`text` with `{FRIGATE_*}` references replaced from `environment` (unknown ones stay)."""
    return ENV_REFERENCE.sub(lambda m: environment.get(m.group(1), m.group(0)), text)


def probe_url(path: str, username: str, password: str | None, raw_camera: dict[str, Any] | None,
              environment: dict[str, str]) -> str:
    """The URL to probe for a form's stream: the typed password, else the stored one,
    references resolved — it goes to ffmpeg only, never back to the browser."""
    _, stored_password = stored_credentials(raw_camera)
    secret = quote(password, safe="") if password else stored_password
    user = quote(username, safe="{}") if username else ""
    url = with_credentials(split_credentials(path.strip())[0], user, secret)
    return resolve_references(url, environment)
