"""The camera switches over HTTP for the web UI, which needs the refusal's reason (the
websocket's `/set` commands are fire-and-forget): `GET /api/controls` lists every
camera's switches and numbers, `PUT /api/<camera>/controls/<name>` `{"value": "ON"}` sets
one through the same `ControlCommands` as MQTT and the websocket (so the change is
published everywhere). Setting needs the admin role on the authenticated port."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from roost.api.params import Camera, Ctx
from roost.controls import SWITCHES
from roost.publish.commands import CommandError, ControlCommands

router = APIRouter(tags=["controls"])


class ControlValue(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: str | int | bool = Field(description="ON/OFF for switches, an integer for numbers")


def _shown(name: str, value: int) -> str | int:
    return ("ON" if value else "OFF") if name in SWITCHES else value


@router.get("/controls", summary="Every camera's switches (ON/OFF) and numbers")
def controls(context: Ctx) -> JSONResponse:
    return JSONResponse({camera: {name: _shown(name, c.get(name)) for name in c.values}
                         for camera, c in context.controls.items()})


@router.put("/{camera}/controls/{name}", summary="Set a camera switch or number (admin)")
async def set_control(camera: Camera, name: str, body: ControlValue, request: Request) -> JSONResponse:
    commands: ControlCommands = request.app.state.commands
    payload = body.value if isinstance(body.value, str) else ("ON" if body.value is True else
                                                               "OFF" if body.value is False else str(body.value))
    try:
        states = await run_in_threadpool(commands.apply, camera, name, payload)
    except CommandError as error:
        raise HTTPException(status_code=400, detail=f"{camera}.{name}: {error}") from None
    return JSONResponse({"success": True, "changed": {s.name: _shown(s.name, s.value) for s in states}})
