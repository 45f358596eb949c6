"""`/ws`: the hub's messages pushed to the web UI as `{"topic", "payload"}` JSON (the
topics and payloads of MQTT, relative to the prefix; binary ones such as snapshots are
left out), the current control states on connect, stats every `STATS_EVERY_S`, and
`{"topic": "<camera>/<name>/set", "payload": "ON"}` commands in (admins only on the
authenticated port)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from roost.api.auth import current_user
from roost.api.context import ApiContext
from roost.api.users import ADMIN
from roost.publish.commands import CommandError, ControlCommands
from roost.publish.messages import Publication
from roost.publish.topics import control_states, publications

logger = logging.getLogger(__name__)

router = APIRouter(tags=["websocket"])

QUEUE_SIZE = 1_000
STATS_EVERY_S = 15.0
POLICY_VIOLATION = 1008


def ws_message(publication: Publication) -> str | None:
    payload = publication.wire_payload()
    if isinstance(payload, bytes):
        return None
    return json.dumps({"topic": publication.topic, "payload": payload})


class WebsocketFanout:
    """Copies hub messages (arriving on a hub thread) to every connected socket's queue on
    the server's event loop; a slow client loses its oldest messages, never blocks others."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queues: set[asyncio.Queue[str]] = set()

    def on_message(self, message: Any) -> None:
        if self.loop is None or not self.queues:
            return
        texts = [t for t in (ws_message(p) for p in publications(message)) if t is not None]
        if texts:
            self.loop.call_soon_threadsafe(self._deliver, texts)

    def _deliver(self, texts: list[str]) -> None:
        for target in list(self.queues):
            for text in texts:
                if target.full():
                    target.get_nowait()
                target.put_nowait(text)


async def _receive_commands(websocket: WebSocket, commands: ControlCommands, may_command: bool) -> None:
    while True:
        raw = await websocket.receive_text()
        try:
            message = json.loads(raw)
            parts = str(message["topic"]).split("/")
            if len(parts) != 3 or parts[2] != "set":
                continue
            if not may_command:
                logger.warning("websocket: viewer tried %s", message["topic"])
                continue
            await run_in_threadpool(commands.apply, parts[0], parts[1], str(message.get("payload", "")))
        except (ValueError, KeyError, TypeError, CommandError) as error:
            logger.warning("websocket: ignored message %.100s: %s", raw, error)


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    app = websocket.app
    context: ApiContext = app.state.context
    may_command = True
    if app.state.authenticated:
        try:
            may_command = current_user(websocket).role == ADMIN
        except HTTPException as error:
            await websocket.close(code=POLICY_VIOLATION, reason=str(error.detail))
            return
    await websocket.accept()
    fanout: WebsocketFanout = app.state.fanout
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_SIZE)
    fanout.queues.add(queue)
    receiver = asyncio.create_task(_receive_commands(websocket, app.state.commands, may_command))
    try:
        for state in control_states(context.controls.values()):
            for publication in publications(state):
                text = ws_message(publication)
                if text is not None:
                    await websocket.send_text(text)
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, timeout=STATS_EVERY_S,
                                         return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
            if receiver in done:  # the client went away (or its messages failed)
                break
            if getter in done:
                text = getter.result()
            else:
                stats = await run_in_threadpool(context.stats)
                text = json.dumps({"topic": "stats", "payload": json.dumps(stats)})
            await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        fanout.queues.discard(queue)
        receiver.cancel()
