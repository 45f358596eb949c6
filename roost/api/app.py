"""`create_app`: the FastAPI application for one listener.

Every router answers under `/api` and at the root (Frigate 0.8's un-prefixed paths), with
the catch-all camera paths (`/<camera>`, `/<camera>/latest.jpg`, ...) included last so
they never shadow a named path. Errors are JSON `{"success": false, "message": ...}`;
requests whose path or query carries `..` path segments or NUL bytes are refused (400)
before any route sees them, and `RequestGuard` refuses cross-site, oversized and
wrongly typed requests and adds the security headers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from roost import FRIGATE_STYLE_VERSION
from roost.api import (
    annotation_files, annotation_frames, auth, controls, event_actions, event_media, events, exports, live, logs, ptz, recordings, review, review_media,
    stats_config, stats_history, storage, tuning, users, vod, ws,
)
from roost.api.auth import authorize, jwt_secret
from roost.api.context import ApiContext
from roost.api.docs import install_offline_docs
from roost.api.live_cache import LiveCache
from roost.api.manual_events import StoredManualEvents
from roost.api.rate_limit import RateLimiter, parse_limits
from roost.api.request_guard import RequestGuard, is_traversal
from roost.api.response_cache import ResponseCache
from roost.api.stats_config import STATS_MAX_AGE_S
from roost.api.users import ensure_admin
from roost.api.web import add_web_routes
from roost.log_ring import log_ring
from roost.publish.commands import ControlCommands

logger = logging.getLogger(__name__)

#: Routers that name their own paths, in matching order; `live` (catch-all camera paths) goes last.
NAMED_ROUTERS = (stats_config.router, events.router, event_actions.router, event_media.router, review.router,
                 exports.router, recordings.router, ptz.router, review_media.router,
                 annotation_files.router, tuning.router, annotation_frames.router)
#: The web UI's own routes (System page, camera switches); also named, so before `live`.
UI_ROUTERS = (logs.router, stats_history.router, storage.router, controls.router)


class TraversalGuard:
    """Pure ASGI middleware: 400 for `..` segments or NUL in the (decoded) path or query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw_path = unquote(scope.get("raw_path", b"").decode("latin-1")) if scope.get("raw_path") else ""
            query = scope.get("query_string", b"").decode("latin-1")
            values = [v for pair in parse_qsl(query, keep_blank_values=True) for v in pair]
            if any(is_traversal(t) for t in (scope["path"], raw_path, unquote(query), *values)):
                if scope["type"] == "http":
                    response = JSONResponse({"success": False, "message": "path traversal is not allowed"}, 400)
                    await response(scope, receive, send)
                else:
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"success": False, "message": message, **extra}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        response = _error(error.status_code, str(error.detail))
        for key, value in (error.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in error.errors()]
        return _error(422, "; ".join(problems) or "invalid request",
                      detail=[{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors()])


def _include(app: FastAPI, routers: list[APIRouter], prefix: str, in_schema: bool) -> None:
    for router in routers:
        app.include_router(router, prefix=prefix, include_in_schema=in_schema)


def create_app(context: ApiContext, authenticated: bool, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    """The app of one listener: `authenticated` for people (login, roles), else the trusted
    local port (Frigate's 5000) where every request is allowed."""
    fanout = ws.WebsocketFanout()
    live_cache = LiveCache()

    def on_hub(message: Any) -> None:
        live_cache.on_message(message)
        fanout.on_message(message)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        fanout.loop = asyncio.get_running_loop()
        subscription = context.hub.subscribe(f"api-{'auth' if authenticated else 'local'}", on_hub)
        history = stats_history.history_of(context)
        history.acquire()
        try:
            yield
        finally:
            history.release()
            context.hub.unsubscribe(subscription)

    app = FastAPI(title="Roost", version=FRIGATE_STYLE_VERSION, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan,
                  dependencies=[Depends(authorize)] if authenticated else [])
    install_offline_docs(app, "/api/openapi.json")
    app.state.context = context
    app.state.authenticated = authenticated
    app.state.live = live_cache
    app.state.fanout = fanout
    app.state.response_cache = ResponseCache()
    app.state.stats_cache = ResponseCache(max_age_s=STATS_MAX_AGE_S)
    app.state.commands = ControlCommands(context.loaded.config, context.controls, context.hub)
    app.state.manual_events = context.manual_events or StoredManualEvents(
        context.database, context.hub, context.clips_dir, context.latest_frame)
    _install_error_handlers(app)
    app.add_middleware(TraversalGuard)
    app.add_middleware(RequestGuard)  # outermost: its headers are on every response

    log_ring()  # the log tail of GET /api/logs starts with the first app
    api_routers = [*NAMED_ROUTERS, *UI_ROUTERS]
    if authenticated:
        auth_config = context.loaded.config.auth
        app.state.jwt_secret = jwt_secret(context.media_dir)
        app.state.login_limiter = RateLimiter(parse_limits(auth_config.failed_login_rate_limit))
        # Kept so `serve` can repeat it after "Roost started" (roost.start_banner).
        app.state.admin_password = ensure_admin(context.database, reset=auth_config.reset_admin_password)
        api_routers = [auth.router, auth.profile_router, users.router, *api_routers]
    else:
        api_routers = [auth.profile_router, *api_routers]
    extras = [*context.extra_routers, *(extra_routers or [])]
    add_web_routes(app)
    _include(app, [*api_routers, *extras, live.router], "/api", True)
    app.include_router(ws.router)
    app.include_router(vod.router)
    _include(app, [*api_routers, *extras, live.router], "", False)
    return app
