"""Annotation sets in and out: `GET /api/annotations/export?format=coco|yolo` (a zip of the
images and their COCO JSON or YOLO txt labels; `verified=1` for the verified frames only)
and `POST /api/annotations/import` (such a zip, from Roost or another tool; `format`
optional, `verified=1` marks the imported frames verified).

The upload is the request body (`application/zip`) or a multipart part named `file`, at
most `MAX_UPLOAD_BYTES`; it is checked whole before anything is stored
(`roost.annotate.importing`), and every refusal is a 400/413 naming what is wrong.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from roost.annotate.archive import ArchiveError
from roost.annotate.frames import AnnotationError
from roost.annotate.importing import export_set, import_set
from roost.api.annotation_frames import VerifiedFilter, store_of
from roost.api.params import Ctx, bad_request

logger = logging.getLogger(__name__)

router = APIRouter(tags=["annotations"])

MAX_UPLOAD_BYTES = 512 * 2**20
CHUNK = 2**20


def _too_large() -> HTTPException:
    return HTTPException(status_code=413, detail=f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB")


async def _upload(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_large()
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=4)
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise bad_request("no file: send the zip as the part named 'file' (or as the request body)")
        data = bytearray()
        while chunk := await part.read(CHUNK):
            data += chunk
            if len(data) > MAX_UPLOAD_BYTES:
                raise _too_large()
        return bytes(data)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPLOAD_BYTES:
            raise _too_large()
    return bytes(body)


@router.get("/annotations/export", summary="Export annotation frames as a zip (COCO JSON or YOLO txt)")
def export(context: Ctx, format: Literal["coco", "yolo"] = "coco",
           verified: VerifiedFilter | None = None) -> FileResponse:
    chosen = None if verified is None else verified in ("1", "true")
    frames = store_of(context).all_frames(chosen)
    path = export_set(frames, format)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return FileResponse(path, media_type="application/zip", filename=f"roost-annotations-{format}-{stamp}.zip",
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.post("/annotations/import", summary="Import a zip of images with COCO JSON or YOLO txt labels")
async def import_frames(request: Request, context: Ctx, format: Literal["coco", "yolo"] | None = None,
                        verified: VerifiedFilter | None = Query(None, description="mark the frames verified")
                        ) -> JSONResponse:
    data = await _upload(request)
    chosen = None if verified is None else verified in ("1", "true")
    try:
        result = await run_in_threadpool(import_set, store_of(context), data, format, chosen)
    except (AnnotationError, ArchiveError) as error:
        raise bad_request(f"import refused: {error}") from None
    logger.info("imported %d annotation frames (%s)", len(result.frames), result.format)
    return JSONResponse(result.to_json(), status_code=201)
