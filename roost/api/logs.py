"""`GET /api/logs`: the tail of the server's log from the in-memory ring, for the web UI's
System page. Admin only on the authenticated port: the log holds things viewers should
not read (the generated admin password on first start, camera URLs in ffmpeg errors)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from roost.api.users import ADMIN
from roost.log_ring import log_ring

router = APIRouter(tags=["service"])

MAX_LINES = 5000


@router.get("/logs", summary="Newest server log lines (admin)")
def logs(request: Request, level: Literal["debug", "info", "warning", "error", "critical"] = "debug",
         limit: int = Query(500, ge=1, le=MAX_LINES), logger: str = Query("", max_length=200)) -> JSONResponse:
    """Lines at `level` or above (oldest first), at most `limit`, optionally only from
    loggers whose name starts with `logger` (`roost.capture`)."""
    user = getattr(request.state, "user", None)
    if user is not None and user.role != ADMIN:
        raise HTTPException(status_code=403, detail=f"'{user.username}' is a viewer; the log needs the admin role")
    lines, total = log_ring().tail(level, limit, logger)
    return JSONResponse({"total": total, "lines": [
        {"time": round(line.time, 3), "level": line.level, "logger": line.logger, "message": line.message}
        for line in lines]})
