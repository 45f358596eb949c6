"""The web UI's camera settings: probe a stream before it is saved (ffprobe + one frame),
read a camera's form, add or change a camera, delete one.

Saves go through the same round-trip write as `PUT /api/config/set` (comments kept, the
whole config validated by the config models first). Passwords travel browser → server
only: answers carry URLs without credentials (`roost.config.camera_form`), probe errors
have them scrubbed, and nothing here logs a URL."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from roost.api.config_set import save_change
from roost.api.params import Ctx, not_found
from roost.capture.stream_probe import ProbeError, probe_stream
from roost.config.camera_form import CameraForm, StreamForm, camera_change, form_of, password_variable, probe_url
from roost.config.checks import CAMERA_NAME
from roost.config.ffmpeg import Role

router = APIRouter(tags=["config"])

MAX_URL = 2000


class StreamBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=MAX_URL, description="stream URL or file, without credentials")
    roles: list[Role] = Field(min_length=1)
    input_args: str | None = Field(default=None, max_length=1000, description="None keeps the file's")


class CameraBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: list[StreamBody] = Field(min_length=1, max_length=4)
    username: str = Field(default="", max_length=200)
    password: str | None = Field(default=None, max_length=200, description="None or empty keeps the stored one")
    enabled: bool = True
    width: int | None = Field(default=None, ge=16, le=7680)
    height: int | None = Field(default=None, ge=16, le=4320)
    fps: int | None = Field(default=None, ge=1, le=60)
    create: bool = Field(default=False, description="refuse to replace a camera of the same name")


class ProbeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=MAX_URL)
    username: str = Field(default="", max_length=200)
    password: str | None = Field(default=None, max_length=200)
    camera: str | None = Field(default=None, max_length=64, description="an existing camera whose stored password to use")


def _source(context: Ctx) -> Path:
    source = context.loaded.source
    if source is None:
        raise HTTPException(status_code=409, detail="Roost runs on the built-in demo config; copy roost/config/demo.yml "
                                                    "to config/config.yml to change cameras")
    return source


def _raw(source: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise HTTPException(status_code=409, detail=f"{source.name} cannot be read: {error}") from None
    return raw if isinstance(raw, dict) else {}


def _raw_camera(raw: dict[str, Any], name: str) -> dict[str, Any] | None:
    cameras = raw.get("cameras")
    camera = cameras.get(name) if isinstance(cameras, dict) else None
    return camera if isinstance(camera, dict) else None


def _environment(raw: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("FRIGATE_")}
    extra = raw.get("environment_vars")
    if isinstance(extra, dict):
        env.update({str(k): str(v) for k, v in extra.items()})
    return env


def _input_args(camera: dict[str, Any] | None) -> list[Any]:
    """Each input's `input_args`: arguments ffmpeg runs with, which only an admin on the
    authenticated port may change (as the config editor's rule for what Roost executes)."""
    ffmpeg = (camera or {}).get("ffmpeg")
    inputs = ffmpeg.get("inputs") if isinstance(ffmpeg, dict) else None
    streams = [i for i in inputs if isinstance(i, dict)] if isinstance(inputs, list) else []
    return [i["input_args"] for i in streams if i.get("input_args")]


def _checked_name(name: str) -> str:
    if not CAMERA_NAME.match(name):
        raise HTTPException(status_code=400, detail=f"camera name {name[:64]!r}: use 1-64 letters, digits, '_' or '-'")
    return name


@router.post("/camera_setup/probe", summary="Read a stream's size, codec, fps and one frame (nothing is saved)")
async def probe(body: ProbeBody, context: Ctx) -> JSONResponse:
    raw = _raw(context.loaded.source) if context.loaded.source is not None else {}
    stored = _raw_camera(raw, body.camera) if body.camera else None
    url = probe_url(body.path, body.username, body.password, stored, _environment(raw))
    try:
        info = await run_in_threadpool(probe_stream, url)
    except ProbeError as error:
        return JSONResponse({"success": False, "message": str(error)})
    frame = "data:image/jpeg;base64," + base64.b64encode(info.jpeg).decode("ascii")
    return JSONResponse({"success": True, "width": info.width, "height": info.height, "codec": info.codec,
                         "fps": info.fps, "frame": frame})


@router.get("/camera_setup/{name}", summary="A camera as the settings form edits it (no password)")
def camera_form(name: str, context: Ctx) -> JSONResponse:
    camera = _raw_camera(_raw(_source(context)), name)
    if camera is None:
        raise not_found(f"camera '{name[:64]}' is not in the config file")
    return JSONResponse({"name": name, **form_of(camera)})


@router.put("/camera_setup/{name}", summary="Add or change a camera (validated, comments kept)")
def save_camera(name: str, body: CameraBody, request: Request, context: Ctx) -> JSONResponse:
    source = _source(context)
    raw = _raw(source)
    existing = _raw_camera(raw, _checked_name(name))
    if body.create and existing is not None:
        raise HTTPException(status_code=409, detail=f"a camera named '{name}' exists already")
    form = CameraForm(tuple(StreamForm(s.path, tuple(s.roles), s.input_args) for s in body.inputs), body.username,
                      body.password, body.enabled, body.width, body.height, body.fps)
    change = camera_change(name, form, existing)
    if _input_args(existing) != _input_args(change["cameras"][name]) and not request.app.state.authenticated:
        raise HTTPException(status_code=403, detail="input_args change what Roost runs; only an admin on the "
                                                    "authenticated port may change them")
    return save_change(request, context, source, change, f"camera {name} {'added' if existing is None else 'saved'}")


@router.delete("/camera_setup/{name}", summary="Delete a camera from the config")
def delete_camera(name: str, request: Request, context: Ctx) -> JSONResponse:
    source = _source(context)
    raw = _raw(source)
    if _raw_camera(raw, name) is None:
        raise not_found(f"camera '{name[:64]}' is not in the config file")
    change: dict[str, Any] = {"cameras": {name: None}}
    variable = password_variable(name)
    if isinstance(raw.get("environment_vars"), dict) and variable in raw["environment_vars"]:
        change["environment_vars"] = {variable: None}
    return save_change(request, context, source, change, f"camera {name} deleted")

