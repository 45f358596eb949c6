"""People who log in on the authenticated port: argon2 password hashes in `UserRow`, the
admin created on first start (its generated password logged once), and the user routes."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from roost.api.params import Ctx, not_found
from roost.store import Database
from roost.store.models import UserRow

logger = logging.getLogger(__name__)

router = APIRouter(tags=["users"])

Role = Literal["admin", "viewer"]
ADMIN: Final = "admin"
#: Letters, digits, '.', '_' and '-', starting with a letter or digit: no '.', '..' or
#: '-name', which read as paths or options wherever a name lands.
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
GENERATED_PASSWORD_BYTES = 16
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def upsert_user(database: Database, username: str, password: str, role: Role) -> None:
    if not USERNAME.match(username):
        raise ValueError(f"username {username!r} must be 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    password_hash = hash_password(password)

    def store(session: Session) -> None:
        row = session.get(UserRow, username)
        if row is None:
            session.add(UserRow(username=username, password_hash=password_hash, role=role, created_at=time.time(),
                                token_version=0))
        else:  # a new password ends every session of the old one
            row.password_hash, row.role, row.token_version = password_hash, role, row.token_version + 1

    database.write(store)


def revoke_sessions(database: Database, username: str) -> None:
    """End every session token issued to `username` so far (logout, on every device)."""
    database.write(lambda s: s.execute(update(UserRow).where(UserRow.username == username)
                                       .values(token_version=UserRow.token_version + 1)))


def admin_count(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(UserRow).where(UserRow.role == ADMIN)) or 0)


def ensure_admin(database: Database, reset: bool = False) -> str | None:
    """Create `admin` with a generated password when no admin exists (or reset its password
    when `auth.reset_admin_password` is set); the password is logged once and returned."""
    admins = admin_count(database)
    if admins and not reset:
        return None
    password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    upsert_user(database, ADMIN, password, ADMIN)
    logger.warning("*** Roost %s user 'admin'; password: %s (shown once; change it after logging in) ***",
                   "reset the password of" if admins else "created the", password)
    return password


def find_user(database: Database, username: str) -> UserRow | None:
    if not USERNAME.match(username):
        return None
    with database.read() as session:
        return session.get(UserRow, username)


class NewUserBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str = Field(pattern=USERNAME.pattern)
    password: str = Field(min_length=8, max_length=256)
    role: Role = "viewer"


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    password: str = Field(min_length=8, max_length=256)


class RoleBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Role


def _existing(context: Ctx, username: str) -> UserRow:
    row = find_user(context.database, username)
    if row is None:
        raise not_found(f"user '{username[:64]}' not found")
    return row


@router.get("/users", summary="Users and their roles")
def list_users(context: Ctx) -> JSONResponse:
    with context.database.read() as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.username)).all()
    return JSONResponse([{"username": r.username, "role": r.role} for r in rows])


@router.post("/users", summary="Create a user (admin)")
def create_user(body: NewUserBody, context: Ctx) -> JSONResponse:
    if find_user(context.database, body.username) is not None:
        raise HTTPException(status_code=409, detail=f"user '{body.username}' already exists")
    upsert_user(context.database, body.username, body.password, body.role)
    return JSONResponse({"success": True, "message": f"User {body.username} created"})


@router.delete("/users/{username}", summary="Delete a user (admin)")
def delete_user(username: str, context: Ctx) -> JSONResponse:
    row = _existing(context, username)
    if row.role == ADMIN and admin_count(context.database) == 1:
        raise HTTPException(status_code=400, detail="the last admin cannot be deleted")
    context.database.write(lambda s: s.execute(delete(UserRow).where(UserRow.username == row.username)))
    return JSONResponse({"success": True, "message": f"User {row.username} deleted"})


@router.put("/users/{username}/password", summary="Change a password (admin, or the user themself)")
def change_password(username: str, body: PasswordBody, request: Request, context: Ctx) -> JSONResponse:
    row = _existing(context, username)
    user = getattr(request.state, "user", None)
    if user is not None and user.role != ADMIN and user.username != row.username:
        raise HTTPException(status_code=403, detail="only admins can change other users' passwords")
    upsert_user(context.database, row.username, body.password, row.role)  # type: ignore[arg-type]
    return JSONResponse({"success": True, "message": f"Password changed; every session of {row.username} has "
                                                     "ended (log in again with the new password)"})


@router.put("/users/{username}/role", summary="Change a role (admin)")
def change_role(username: str, body: RoleBody, context: Ctx) -> JSONResponse:
    row = _existing(context, username)
    if row.role == ADMIN and body.role != ADMIN and admin_count(context.database) == 1:
        raise HTTPException(status_code=400, detail="the last admin cannot be demoted")
    context.database.write(lambda s: s.execute(update(UserRow).where(UserRow.username == row.username)
                                               .values(role=body.role)))
    return JSONResponse({"success": True, "message": f"User {row.username} is now {body.role}"})
