"""Login on the authenticated port: a JWT (HS256) in the `auth.cookie_name` cookie (or an
`Authorization: Bearer` header), failed logins rate-limited per client address (the peer,
or the client a trusted proxy names: `roost.api.client_address`), and the app-wide check
that every request carries a valid token and that only admins change things (viewers may
read, log out, mark reviews viewed and change their own password).

Each token carries its user's `token_version` (`ver`); logging out and changing the
password raise the version, so every token issued before is refused from then on."""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import HTTPConnection

from roost.api.client_address import client_address, is_trusted_proxy, peer_address
from roost.api.context import ApiContext
from roost.api.params import Ctx
from roost.api.rate_limit import RateLimiter
from roost.api.request_guard import cross_site_reason
from roost.api.users import ADMIN, find_user, revoke_sessions, verify_password

logger = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])
#: `/profile` answers on both ports (on the trusted one as Frigate does: an admin).
profile_router = APIRouter(tags=["auth"])

ALGORITHM = "HS256"
JWT_SECRET_ENV = "ROOST_JWT_SECRET"
JWT_SECRET_FILE = ".jwt_secret"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Paths (after an optional `/api`) anyone may call without a token.
OPEN_PATHS = ("/login", "/logout")
#: Changes a viewer may make.
VIEWER_CHANGES = ("/reviews/viewed",)


@dataclass(frozen=True)
class User:
    username: str
    role: str
    token_version: int = 0


def jwt_secret(media_dir: Path) -> str:
    """`ROOST_JWT_SECRET`, else a random secret kept in `<media>/.jwt_secret` (mode 600), so
    sessions survive restarts."""
    if os.environ.get(JWT_SECRET_ENV):
        return os.environ[JWT_SECRET_ENV]
    path = media_dir / JWT_SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    media_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret


def make_token(secret: str, user: User, lifetime_s: int) -> str:
    now = int(time.time())
    return jwt.encode({"sub": user.username, "role": user.role, "ver": user.token_version, "iat": now,
                       "exp": now + lifetime_s}, secret, algorithm=ALGORITHM)


def _relative_path(path: str) -> str:
    return path[len("/api"):] if path == "/api" or path.startswith("/api/") else path


def session_token(conn: HTTPConnection) -> str | None:
    context: ApiContext = conn.app.state.context
    token = conn.cookies.get(context.loaded.config.auth.cookie_name)
    header = conn.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:].strip()
    return token or None


def current_user(conn: HTTPConnection) -> User:
    """The user of a valid, unrevoked token on this request, else 401."""
    context: ApiContext = conn.app.state.context
    token = session_token(conn)
    if not token:
        raise HTTPException(status_code=401, detail="login required")
    try:
        claims = jwt.decode(token, conn.app.state.jwt_secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as error:
        raise HTTPException(status_code=401, detail=f"invalid session: {error}") from None
    row = find_user(context.database, str(claims["sub"]))
    if row is None:
        raise HTTPException(status_code=401, detail="user no longer exists")
    if claims.get("ver", 0) != row.token_version:
        raise HTTPException(status_code=401, detail="session ended (logged out or password changed); log in again")
    return User(row.username, row.role, row.token_version)


def authorize(conn: HTTPConnection) -> None:
    """App-wide dependency on the authenticated port."""
    if conn.scope["type"] != "http":
        return  # the websocket endpoint checks its user itself (close code 1008)
    path = _relative_path(conn.url.path)
    if path in OPEN_PATHS:
        return
    user = current_user(conn)
    conn.state.user = user
    method = conn.scope.get("method", "GET")
    if method in SAFE_METHODS or user.role == ADMIN or path in VIEWER_CHANGES:
        return
    if method == "PUT" and path == f"/users/{user.username}/password":
        return
    raise HTTPException(status_code=403, detail=f"'{user.username}' is a viewer; this needs the admin role")


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user: str = Field(max_length=64)
    password: str = Field(max_length=256)


@router.post("/login", summary="Log in; sets the session cookie")
def login(body: LoginBody, request: Request, context: Ctx) -> JSONResponse:
    limiter: RateLimiter = request.app.state.login_limiter
    client = client_address(request.scope, context.loaded.config.auth.trusted_proxies)
    if limiter.blocked(client):
        raise HTTPException(status_code=429, detail="too many failed logins; try again later")
    row = find_user(context.database, body.user)
    if row is None or not verify_password(row.password_hash, body.password):
        limiter.hit(client)
        logger.warning("failed login for %r from %s", body.user[:64], client)
        raise HTTPException(status_code=401, detail="wrong user name or password")
    auth = context.loaded.config.auth
    token = make_token(request.app.state.jwt_secret, User(row.username, row.role, row.token_version),
                       auth.session_length)
    response = JSONResponse({"success": True, "message": "Logged in", "username": row.username, "role": row.role})
    response.set_cookie(auth.cookie_name, token, max_age=auth.session_length, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https"
                        or forwarded_https(request, auth.trusted_proxies))
    return response


def forwarded_https(request: Request, trusted: list[str]) -> bool:
    """A trusted proxy says the browser talks HTTPS to it."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https" and is_trusted_proxy(peer_address(request.scope), trusted)


@router.get("/logout", summary="Log out everywhere: ends every session of this user, clears the cookie")
@router.post("/logout", summary="Log out everywhere: ends every session of this user, clears the cookie")
def logout(request: Request, context: Ctx) -> JSONResponse:
    try:
        user = current_user(request)
    except HTTPException:
        user = None  # no valid session: only the cookie to clear
    config = context.loaded.config
    cross_site = cross_site_reason(request.headers, config.api.allowed_origins,
                                   is_trusted_proxy(peer_address(request.scope), config.auth.trusted_proxies))
    if user is not None and cross_site is None:  # a link on another site only clears the cookie
        revoke_sessions(context.database, user.username)
        logger.info("user %r logged out; their sessions ended", user.username)
    response = JSONResponse({"success": True, "message": "Logged out"})
    response.delete_cookie(context.loaded.config.auth.cookie_name)
    return response


@profile_router.get("/profile", summary="The logged-in user")
def profile(request: Request) -> JSONResponse:
    user: User | None = getattr(request.state, "user", None)
    if user is None:  # the trusted port: Frigate treats it as admin
        return JSONResponse({"username": "anonymous", "role": ADMIN})
    return JSONResponse({"username": user.username, "role": user.role})
