"""`/api/<camera>/ptz/info`: Roost drives no PTZ cameras, so every camera answers `{}` as
Frigate does for a camera without ONVIF PTZ. Home Assistant's integration asks every
camera at set-up and treats a 404 as a failed camera."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from roost.api.params import Camera

router = APIRouter(tags=["live"])


@router.get("/{camera}/ptz/info", summary="PTZ features of a camera ({} without PTZ)")
def ptz_info(camera: Camera) -> JSONResponse:
    return JSONResponse({})
