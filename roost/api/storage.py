"""`GET /api/recordings/storage` (Frigate's path): recorded megabytes per camera, their
share of the recordings disk and the last hour's rate, from the segment index."""

from __future__ import annotations

import shutil
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from roost.api.params import Ctx
from roost.store.models import RecordingRow

router = APIRouter(tags=["recordings"])

HOUR_S = 3600.0


@router.get("/recordings/storage", summary="Recording storage used per camera (MB)")
def recordings_storage(context: Ctx) -> JSONResponse:
    since = time.time() - HOUR_S
    with context.database.read() as session:
        usage = dict(session.execute(select(RecordingRow.camera, func.sum(RecordingRow.segment_size))
                                     .group_by(RecordingRow.camera)).tuples().all())
        recent = dict(session.execute(select(RecordingRow.camera, func.sum(RecordingRow.segment_size))
                                      .where(RecordingRow.start_time >= since)
                                      .group_by(RecordingRow.camera)).tuples().all())
    try:
        total_mb = shutil.disk_usage(context.recordings_dir).total / 2**20
    except OSError:
        total_mb = 0.0
    result = {}
    for camera in [*context.loaded.config.cameras, *(c for c in usage if c not in context.loaded.config.cameras)]:
        used = float(usage.get(camera) or 0.0)
        result[camera] = {"usage": round(used, 2),
                          "usage_percent": round(100 * used / total_mb, 3) if total_mb else 0.0,
                          "bandwidth": round(float(recent.get(camera) or 0.0), 2)}  # MB in the last hour
    return JSONResponse(result)
