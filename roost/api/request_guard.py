"""`RequestGuard`: what every request must pass before a route sees it, and the headers every
response carries, as one pure ASGI middleware on both listeners.

- **Cross-site.** A page on another site can make a browser send requests to Roost (the
  browser adds the session cookie, and the trusted port needs none). Browsers say where a
  request comes from (`Origin`, `Sec-Fetch-Site`); a state-changing request (POST, PUT,
  PATCH, DELETE) or a websocket from an origin that is not this server's own (the request's
  `Host`, or `X-Forwarded-Host` from a trusted proxy) nor in `api.allowed_origins` is
  refused: 403, or the websocket closed before it opens. Requests without either header
  (Home Assistant, curl, scripts) pass: they are not sent by a browser on someone's behalf.
- **Content types.** A request body is read only in the type the route expects (JSON
  almost everywhere), else 415: a cross-site form can send `text/plain`,
  `application/x-www-form-urlencoded` or `multipart/form-data` without a CORS preflight,
  never `application/json`. Requests without a body (Frigate's retain, manual events) pass.
- **Body sizes.** Each route has a limit (`BODY_LIMITS`); a larger `Content-Length` is
  refused at once (413), and a body sent without one is counted while it streams and
  refused when it passes the limit, so no route ever holds more than its limit.
- **Response headers.** `X-Content-Type-Options: nosniff`, and framing only by the same
  origin or an allowed one (`Content-Security-Policy: frame-ancestors`, plus
  `X-Frame-Options: SAMEORIGIN` when no other origin is allowed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roost.api.client_address import is_trusted_proxy, peer_address

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MiB = 2**20
JSON_TYPES = ("application/json",)
#: Any type: the body is checked as a zip by its content (curl --data-binary sends a form
#: type), and cross-site senders are refused by their Origin first.
ANY_TYPE: tuple[str, ...] = ()
MULTIPART_TYPES = ("multipart/form-data",)
#: Dataset uploads: `roost.api.dataset_upload` takes at most 50 files of 10 MB each.
UPLOAD_LIMIT = 50 * 10 * MiB + MiB
#: Classifier archives (`POST /api/classification/import`).
IMPORT_LIMIT = 200 * MiB
#: Annotation sets (`POST /api/annotations/import`): the import route's own limit, plus the
#: multipart framing around it.
ANNOTATION_IMPORT_LIMIT = 512 * MiB + MiB


@dataclass(frozen=True)
class BodyRule:
    """Requests whose path (without `/api`) matches `pattern` take bodies of at most
    `limit` bytes in one of `types` (any type when empty)."""

    pattern: re.Pattern[str]
    limit: int
    types: tuple[str, ...]


BODY_LIMITS = (
    BodyRule(re.compile(r"/classification/import"), IMPORT_LIMIT, ANY_TYPE),
    # COCO / YOLO sets: a zip as the body or as a multipart part; the route checks the zip.
    BodyRule(re.compile(r"/annotations/import"), ANNOTATION_IMPORT_LIMIT, ANY_TYPE),
    BodyRule(re.compile(r"/classification/[^/]+/dataset/[^/]+/upload"), UPLOAD_LIMIT, MULTIPART_TYPES),
    BodyRule(re.compile(r"/config/(save|validate)"), 4 * MiB, JSON_TYPES),  # the config text, JSON-escaped
)
DEFAULT_RULE = BodyRule(re.compile(""), MiB, JSON_TYPES)
POLICY_VIOLATION = 1008
TRAVERSAL = re.compile(r"(^|[\\/])\.\.([\\/]|$)")


def is_traversal(text: str) -> bool:
    """`..` path segments or NUL (the app's TraversalGuard refuses those with 400; this
    guard leaves such requests to it rather than judging their body by a wrong route)."""
    return "\x00" in text or bool(TRAVERSAL.search(text))


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its route's limit; routes that
    read bodies let it through, so the app's handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than {_size(limit)} (the limit of this route)")


def _size(limit: int) -> str:
    return f"{limit // MiB} MB" if limit >= MiB else f"{limit} bytes"


def body_rule(path: str) -> BodyRule:
    relative = path[4:] if path.startswith("/api/") else path
    return next((rule for rule in BODY_LIMITS if rule.pattern.fullmatch(relative)), DEFAULT_RULE)


def _netloc(scheme: str, netloc: str) -> str:
    """`host[:port]` in lower case without the scheme's default port."""
    netloc = netloc.strip().lower()
    default = {"http": ":80", "https": ":443", "ws": ":80", "wss": ":443"}.get(scheme, "")
    return netloc[: -len(default)] if default and netloc.endswith(default) else netloc


def own_hosts(headers: Headers, from_trusted_proxy: bool) -> set[str]:
    """The `host[:port]` names this request was addressed to."""
    hosts = {_netloc("http", headers.get("host", ""))}
    if from_trusted_proxy and headers.get("x-forwarded-host"):
        proto = headers.get("x-forwarded-proto", "http").split(",")[0].strip()
        hosts |= {_netloc(proto, h) for h in headers["x-forwarded-host"].split(",")}
    return hosts - {""}


def cross_site_reason(headers: Headers, allowed_origins: list[str], from_trusted_proxy: bool) -> str | None:
    """Why a browser request must be refused as cross-site, or None (pure).

    >>> cross_site_reason(Headers({"host": "nvr:8971", "origin": "http://nvr:8971"}), [], False) is None
    True
    >>> cross_site_reason(Headers({"host": "nvr:8971", "origin": "http://evil.example"}), [], False)
    "origin 'http://evil.example' is not this server's"
    >>> cross_site_reason(Headers({"host": "nvr:5000"}), [], False) is None  # Home Assistant, curl
    True
    """
    origin = headers.get("origin")
    if origin is None:
        if headers.get("sec-fetch-site") == "cross-site":
            return "the browser says this request comes from another site (Sec-Fetch-Site: cross-site)"
        return None
    if origin.strip().lower() in allowed_origins:
        return None
    parts = urlsplit(origin.strip())
    if origin.strip() == "null" or not parts.netloc:
        return f"origin {origin[:100]!r} is opaque (a sandboxed frame or a local file)"
    if _netloc(parts.scheme, parts.netloc) in own_hosts(headers, from_trusted_proxy):
        return None
    return f"origin {origin[:100]!r} is not this server's"


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0").strip() not in ("", "0") or "transfer-encoding" in headers


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


def frame_policy(allowed_origins: list[str]) -> list[tuple[bytes, bytes]]:
    """Response headers against sniffing and framing by other sites."""
    ancestors = " ".join(["'self'", *allowed_origins])
    headers = [(b"x-content-type-options", b"nosniff"),
               (b"content-security-policy", f"frame-ancestors {ancestors}".encode("latin-1"))]
    if not allowed_origins:  # X-Frame-Options has no list; CSP frame-ancestors governs then
        headers.append((b"x-frame-options", b"SAMEORIGIN"))
    return headers


class RequestGuard:
    """The middleware (see the module docstring). Settings are read from the app's context
    on every request, so a config change applies at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        config = scope["app"].state.context.loaded.config
        allowed: list[str] = config.api.allowed_origins
        headers = Headers(scope=scope)
        trusted = is_trusted_proxy(peer_address(scope), config.auth.trusted_proxies)
        method = scope.get("method", "GET")
        if scope["type"] == "websocket" or method in STATE_CHANGING:
            reason = cross_site_reason(headers, allowed, trusted)
            if reason is not None:
                await self._refuse(scope, receive, send, 403, f"cross-site request refused: {reason}")
                return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        traversal = is_traversal(scope["path"])  # refused by the TraversalGuard inside
        rule = body_rule(scope["path"])
        if method in STATE_CHANGING and not traversal and _has_body(headers) and rule.types \
                and _media_type(headers) not in rule.types:
            await self._refuse(scope, receive, send, 415, f"send this request's body as {' or '.join(rule.types)} "
                                                          f"(got {_media_type(headers) or 'no Content-Type'})")
            return
        length = _content_length(headers)
        if length is not None and length > rule.limit:
            await self._refuse(scope, receive, send, 413, f"request body of {length} bytes is larger than "
                                                          f"{_size(rule.limit)} (the limit of this route)")
            return
        extra = frame_policy(allowed)
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > rule.limit:
                    raise BodyTooLarge(rule.limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *(h for h in extra if h[0] not in present)]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge as error:  # read outside a route (nothing answered yet)
            if started:
                raise
            await self._refuse(scope, receive, send_with_headers, 413, str(error.detail))

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": message[:120]})
            return
        response = JSONResponse({"success": False, "message": message}, status_code=status)
        allowed: list[str] = scope["app"].state.context.loaded.config.api.allowed_origins
        response.headers.update({k.decode(): v.decode() for k, v in frame_policy(allowed)})
        await response(scope, receive, send)

