"""The browser player's live feed: `/live/mse/api/ws?src=<camera or stream>` (Frigate's
path for go2rtc's MSE mode). The server sends one JSON text message
`{"type": "mse", "value": "<mime type with codecs>"}`, then binary fragmented-MP4: the
init segment, and a `moof`+`mdat` pair per frame — the camera's own H.264, copied by an
ffmpeg reading the local restream, never re-encoded. Errors arrive as
`{"type": "error", "value": "..."}` before the socket closes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect

from roost.ffmpeg import ffmpeg_binary
from roost.restream.fmp4 import box_size, mime_type

logger = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
#: The player needs a key frame within this; the restream starts each client on one.
FIRST_DATA_TIMEOUT_S = 15.0
MAX_BOX = 16 * 2**20  # a larger box is not a video frame: the stream is broken


def player_ffmpeg_argv(url: str, ffmpeg: str = "default") -> list[str]:
    """Copy the restream's video to fragmented MP4, one fragment per frame (low latency)."""
    return [ffmpeg_binary(ffmpeg), "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp",
            "-timeout", "5000000", "-i", url, "-map", "0:v:0", "-c", "copy", "-f", "mp4",
            "-movflags", "empty_moov+default_base_moof+frag_every_frame+skip_trailer", "pipe:1"]


async def _read_box(stream: asyncio.StreamReader) -> bytes:
    header = await stream.readexactly(8)
    if header[:4] == b"\x00\x00\x00\x01":
        header += await stream.readexactly(8)
    size, _kind, length = box_size(header)
    if size > MAX_BOX:
        raise ValueError(f"box of {size} bytes")
    return header + await stream.readexactly(size - length)


def live_mse_router(resolve: Callable[[str], str | None]) -> APIRouter:
    """`resolve(camera or stream name)` → the local restream URL, None when not served."""
    router = APIRouter(tags=["live"])

    @router.websocket("/live/mse/api/ws")
    async def live_mse(websocket: WebSocket, src: str = Query(..., max_length=64)) -> None:
        if websocket.app.state.authenticated:
            from roost.api.auth import current_user

            try:
                current_user(websocket)
            except HTTPException as error:
                await websocket.close(code=POLICY_VIOLATION, reason=str(error.detail))
                return
        await websocket.accept()
        url = resolve(src)
        if url is None:
            await websocket.send_text(json.dumps({"type": "error", "value": f"'{src}' is not restreamed"}))
            await websocket.close()
            return
        await _stream(websocket, url)

    return router


async def _stream(websocket: WebSocket, url: str) -> None:
    process = await asyncio.create_subprocess_exec(*player_ffmpeg_argv(url), stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.DEVNULL)
    assert process.stdout is not None
    closed = asyncio.ensure_future(_until_closed(websocket))
    try:
        init = b""
        while not _has_moov(init):
            init += await asyncio.wait_for(_read_box(process.stdout), FIRST_DATA_TIMEOUT_S)
        mime = mime_type(init)
        if mime is None:
            await websocket.send_text(json.dumps({"type": "error", "value": "the stream's codec is not H.264/H.265"}))
            return
        await websocket.send_text(json.dumps({"type": "mse", "value": mime}))
        await websocket.send_bytes(init)
        pending = b""
        while not closed.done():
            box = await _read_box(process.stdout)
            pending += box
            if box[4:8] == b"mdat":  # a whole fragment: send moof+mdat together
                await websocket.send_bytes(pending)
                pending = b""
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, WebSocketDisconnect, RuntimeError) as error:
        if not closed.done():
            try:
                await websocket.send_text(json.dumps({"type": "error", "value": f"live stream ended ({type(error).__name__})"}))
                await websocket.close()
            except (RuntimeError, WebSocketDisconnect):
                pass
    finally:
        closed.cancel()
        if process.returncode is None:
            process.kill()
        await process.wait()


def _has_moov(data: bytes) -> bool:
    at = 0
    while at + 8 <= len(data):
        size, kind, _length = box_size(data[at:at + 16])
        if kind == b"moov":
            return True
        at += size
    return False


async def _until_closed(websocket: WebSocket) -> None:
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    except (WebSocketDisconnect, RuntimeError):
        return
