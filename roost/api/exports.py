"""Exports: a recorded span written to `exports/<id>.mp4` in the background (stream copy,
or a 25x timelapse re-encoded), listed, served and deleted."""

from __future__ import annotations

import logging
import random
import string
import subprocess
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

import cv2
from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, update

from roost.api.context import ApiContext
from roost.api.files import file_response
from roost.api.params import Camera, Ctx, bad_request, not_found
from roost.api.recordings import check_span, cut_span
from roost.ffmpeg import ffmpeg_binary
from roost.paths import is_within
from roost.store.models import ExportRow

logger = logging.getLogger(__name__)

router = APIRouter(tags=["exports"])

TIMELAPSE_SPEED = 25
TIMELAPSE_TIMEOUT_S = 1800.0
EXPORT_ID_CHARS = string.ascii_lowercase + string.digits


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    playback: Literal["realtime", "timelapse_25x"] = "realtime"
    name: str | None = Field(default=None, max_length=100)


def export_json(row: ExportRow) -> dict[str, Any]:
    return {"id": row.id, "camera": row.camera, "name": row.name, "date": row.date,
            "video_path": row.video_path, "thumb_path": row.thumb_path, "in_progress": row.in_progress}


def _timelapse(source: Path, target: Path, ffmpeg: str) -> bool:
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-an",
               "-vf", f"setpts=PTS/{TIMELAPSE_SPEED}", "-c:v", "libx264", "-preset", "veryfast",
               "-movflags", "+faststart", str(target)]
    done = subprocess.run(command, capture_output=True, timeout=TIMELAPSE_TIMEOUT_S, check=False)
    if done.returncode != 0:
        logger.error("timelapse of %s failed: %s", source.name, done.stderr.decode(errors="replace").strip())
    return done.returncode == 0 and target.is_file()


def _thumbnail(video: Path, target: Path) -> bool:
    capture = cv2.VideoCapture(str(video))
    try:
        ok, frame = capture.read()
    finally:
        capture.release()
    return bool(ok) and bool(cv2.imwrite(str(target), frame))


def run_export(context: ApiContext, export_id: str, camera: str, start: float, end: float, playback: str) -> None:
    """Write the export, then mark it done (or remove its row when nothing could be written)."""
    video = context.exports_dir / f"{export_id}.mp4"
    thumb = context.exports_dir / f"{export_id}.jpg"
    context.exports_dir.mkdir(parents=True, exist_ok=True)
    try:
        if playback == "realtime":
            ok = cut_span(context, camera, start, end, video)
        else:
            raw = context.exports_dir / f".{export_id}-raw.mp4"
            ok = cut_span(context, camera, start, end, raw) and _timelapse(
                raw, video, ffmpeg_binary(context.loaded.config.cameras[camera].ffmpeg.path))
            raw.unlink(missing_ok=True)
    except (OSError, subprocess.SubprocessError):
        logger.exception("export %s failed", export_id)
        ok = False
    if not ok:
        logger.error("export %s of %s (%.0f-%.0f) failed; removed", export_id, camera, start, end)
        context.database.write(lambda s: s.execute(delete(ExportRow).where(ExportRow.id == export_id)))
        return
    thumb_path = str(thumb) if _thumbnail(video, thumb) else None
    context.database.write(lambda s: s.execute(update(ExportRow).where(ExportRow.id == export_id).values(
        in_progress=False, thumb_path=thumb_path)))
    logger.info("export %s written: %s", export_id, video)


@router.post("/export/{camera}/start/{start}/end/{end}", summary="Export a recorded span")
def start_export(camera: Camera, start: float, end: float, context: Ctx,
                 body: Annotated[ExportBody | None, Body()] = None) -> JSONResponse:
    body = body or ExportBody()
    check_span(start, end)
    export_id = f"{camera}_{''.join(random.choices(EXPORT_ID_CHARS, k=6))}"
    name = body.name or f"{camera} {datetime.fromtimestamp(start, timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
    row = ExportRow(id=export_id, camera=camera, name=name, date=start,
                    video_path=str(context.exports_dir / f"{export_id}.mp4"), thumb_path=None, in_progress=True)
    context.database.write(lambda s: s.add(row))
    threading.Thread(target=run_export, args=(context, export_id, camera, start, end, body.playback),
                     name=f"export-{export_id}", daemon=True).start()
    return JSONResponse({"success": True, "message": "Starting export of recording.", "export_id": export_id})


@router.get("/exports", summary="Exports, newest first")
def list_exports(context: Ctx) -> JSONResponse:
    with context.database.read() as session:
        rows = session.scalars(select(ExportRow).order_by(ExportRow.date.desc())).all()
    return JSONResponse([export_json(r) for r in rows])


def _export(context: ApiContext, export_id: str) -> ExportRow:
    with context.database.read() as session:
        row = session.get(ExportRow, export_id[:40])
    if row is None:
        raise not_found(f"export '{export_id[:40]}' not found")
    return row


@router.get("/exports/{export_id}", summary="One export")
def get_export(export_id: str, context: Ctx) -> JSONResponse:
    return JSONResponse(export_json(_export(context, export_id)))


@router.get("/exports/{export_id}/video.mp4", summary="The exported video (supports Range)", response_class=Response)
def export_video(export_id: str, context: Ctx) -> Response:
    row = _export(context, export_id)
    if row.in_progress:
        raise not_found(f"export {export_id} is still being written")
    return file_response(Path(row.video_path), [context.exports_dir], "video/mp4", f"export {export_id}",
                         download_name=f"{row.id}.mp4")


@router.get("/exports/{export_id}/thumbnail.jpg", summary="First frame of an export", response_class=Response)
def export_thumbnail(export_id: str, context: Ctx) -> Response:
    row = _export(context, export_id)
    if not row.thumb_path:
        raise not_found(f"export {export_id} has no thumbnail{' yet' if row.in_progress else ''}")
    return file_response(Path(row.thumb_path), [context.exports_dir], "image/jpeg", f"thumbnail of export {export_id}")


class RenameBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=100)


@router.patch("/export/{export_id}/rename", summary="Rename an export (Frigate's path)")
def rename_export(export_id: str, body: RenameBody, context: Ctx) -> JSONResponse:
    row = _export(context, export_id)
    name = body.name.strip()
    if not name:
        raise bad_request("name must not be blank")
    context.database.write(lambda s: s.execute(update(ExportRow).where(ExportRow.id == row.id).values(name=name)))
    return JSONResponse({"success": True, "message": f"Export {row.id} renamed to {name!r}"})


@router.delete("/export/{export_id}", summary="Delete an export and its files")
def delete_export(export_id: str, context: Ctx) -> JSONResponse:
    row = _export(context, export_id)
    for stored in (row.video_path, row.thumb_path):
        if stored and is_within(Path(stored), context.exports_dir):
            Path(stored).unlink(missing_ok=True)
    context.database.write(lambda s: s.execute(delete(ExportRow).where(ExportRow.id == row.id)))
    return JSONResponse({"success": True, "message": f"Export {row.id} deleted"})
