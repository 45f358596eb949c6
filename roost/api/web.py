"""The web UI: `/` answers with `roost/web/index.html` (the single page; pages are chosen by
the URL's `#/...` hash in the browser) and `/ui/...` serves its ES modules, CSS and the
vendored npm libraries, gzipped.

The page is served to anyone on both ports: it carries no data. On the authenticated port
the index embeds who is logged in (or nobody, and the browser shows the login page), so
the first paint needs no round trip and an unauthenticated visit makes no failing request.
Everything else the UI shows comes from the API and `/ws`, which check the session."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from roost import FRIGATE_STYLE_VERSION
from roost.api.auth import current_user
from roost.api.users import ADMIN

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
VENDOR_DIR = WEB_DIR / "vendor"
#: URL prefix of the UI's files. Not a camera-like single segment: `/ui/...` has more.
ASSET_PREFIX = "/ui"
#: Responses smaller than this are sent as they are (gzip would not pay).
GZIP_MIN_BYTES = 500
#: Marker in index.html replaced by the boot JSON.
BOOT_MARKER = "<!--ROOST_BOOT-->"


class _RevalidatedFiles(StaticFiles):
    """Static files the browser must revalidate (ETag → 304), so an upgrade is seen at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


def page_names(web_dir: Path = WEB_DIR) -> list[str]:
    """Page modules present in `pages/` (`live`, `review`, ...): the navigation shows only these."""
    return sorted(p.stem for p in (web_dir / "pages").glob("*.js"))


def page_styles(web_dir: Path = WEB_DIR) -> list[str]:
    return sorted(p.stem for p in (web_dir / "pages").glob("*.css"))


def boot_data(request: Request) -> dict[str, Any]:
    """What the page needs before its first request: the user (None: show the login),
    whether this port has logins at all, the pages that exist, and the version."""
    authenticated = bool(request.app.state.authenticated)
    user: dict[str, str] | None
    if authenticated:
        try:
            found = current_user(request)
            user = {"username": found.username, "role": found.role}
        except HTTPException:
            user = None
    else:
        user = {"username": "anonymous", "role": ADMIN}
    return {"user": user, "authenticated": authenticated, "pages": page_names(), "styles": page_styles(),
            "version": FRIGATE_STYLE_VERSION}


def render_index(template: str, boot: dict[str, Any]) -> str:
    # `<` escaped so no value can close the script element.
    payload = json.dumps(boot).replace("<", "\\u003c")
    return template.replace(BOOT_MARKER, f'<script type="application/json" id="roost-boot">{payload}</script>')


def _missing_vendor_page() -> str:
    return ("<!doctype html><meta charset=utf-8><title>Roost</title><h1>Roost's web UI is not installed</h1>"
            f"<p>The browser libraries are missing from <code>{html.escape(str(VENDOR_DIR))}</code>. "
            "Run <code>bash scripts/setup.sh</code> (it runs <code>npm ci</code> and copies them), "
            "then reload. The HTTP API works without them.</p>")


async def index(request: Request) -> Response:
    if not (VENDOR_DIR / "preact.mjs").is_file():
        logger.error("web UI: %s has no vendored libraries; run scripts/setup.sh", VENDOR_DIR)
        return HTMLResponse(_missing_vendor_page(), status_code=503)
    template = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(render_index(template, boot_data(request)), headers={"Cache-Control": "no-store"})


class _Gzipped:
    """`GZipMiddleware` around the static files only: JPEG/MJPEG/MP4 from the API are
    already compressed and must stream untouched."""

    def __init__(self) -> None:
        self.app = GZipMiddleware(_RevalidatedFiles(directory=WEB_DIR, check_dir=False), minimum_size=GZIP_MIN_BYTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def add_web_routes(app: FastAPI) -> None:
    """Register `/` and `/ui/` before the API's catch-all camera paths. `/` is a plain
    Starlette route, outside the app-wide login dependency: the page itself decides
    between the login form and the UI from the embedded session."""
    app.router.add_route("/", index, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(ASSET_PREFIX, _Gzipped(), name="ui")
