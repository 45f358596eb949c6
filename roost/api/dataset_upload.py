"""`POST /api/classification/<model>/dataset/<class>/upload`: the user's own images into a class.

Multipart form data, one or more parts named `file`. Every part is checked before any is
stored (all or nothing): at most `MAX_FILES` parts of at most `MAX_FILE_BYTES` each, and
each must decode as an image (PNG, JPEG, WebP, BMP…: decoding decides, not the name or
the declared type) between `MIN_SIDE` and `MAX_SIDE` pixels a side. Accepted images are
stored re-encoded as PNG, named `upload-<first 12 hex of the content's SHA-256>.png`, so
the same picture uploaded twice is stored once and no client-chosen name reaches the disk.
Errors are 400/413 JSON naming the part's file name and what was wrong.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile

from roost.train.fuse import FILE_MODE

logger = logging.getLogger(__name__)

FIELD = "file"
MAX_FILES = 50
MAX_FILE_BYTES = 10 * 2**20
MIN_SIDE = 16
MAX_SIDE = 8192
CHUNK = 2**16


async def _read_limited(part: UploadFile) -> bytes:
    data = bytearray()
    while chunk := await part.read(CHUNK):
        data += chunk
        if len(data) > MAX_FILE_BYTES:
            raise HTTPException(status_code=413, detail=f"'{part.filename}' is larger than "
                                                        f"{MAX_FILE_BYTES // 2**20} MB")
    return bytes(data)


def decode_upload(filename: str, data: bytes) -> np.ndarray:
    """BGR image of an uploaded file, or HTTPException 400 saying why it is refused."""
    if not data:
        raise HTTPException(status_code=400, detail=f"'{filename}' is empty")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise HTTPException(status_code=400, detail=f"'{filename}' is not an image "
                                                    "(expected a PNG, JPEG or WebP picture)")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE or max(height, width) > MAX_SIDE:
        raise HTTPException(status_code=400, detail=f"'{filename}' is {width}x{height} pixels; expected "
                                                    f"{MIN_SIDE} to {MAX_SIDE} pixels a side")
    return image


async def save_uploads(request: Request, folder: Path) -> list[str]:
    """Validate every `file` part of the request, then store them all in `folder`.

    The multipart parser spools parts to disk; each part is decoded and re-encoded on its
    own and staged as a hidden file in `folder`, so memory holds one image at a time. Only
    when every part passed are the staged files renamed into place; else they are removed."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(status_code=400, detail=f"send the images as multipart/form-data, "
                                                    f"in parts named '{FIELD}'")
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    try:
        parts = [part for part in form.getlist(FIELD) if isinstance(part, UploadFile)]
        if not parts:
            raise HTTPException(status_code=400, detail=f"no files: add one or more parts named '{FIELD}'")
        folder.mkdir(parents=True, exist_ok=True)
        staged: list[tuple[str, Path, Path]] = []
        try:
            for part in parts:
                name = part.filename or "(unnamed)"
                image = decode_upload(name, await _read_limited(part))
                ok, encoded = cv2.imencode(".png", image)
                del image
                if not ok:
                    raise HTTPException(status_code=400, detail=f"'{name}' could not be stored as PNG")
                png = encoded.tobytes()
                target = folder / f"upload-{hashlib.sha256(png).hexdigest()[:12]}.png"
                handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
                with os.fdopen(handle, "wb") as out:
                    out.write(png)
                os.chmod(temporary, FILE_MODE)
                staged.append((name, Path(temporary), target))
            saved = []
            for original, temporary_path, target in staged:
                os.replace(temporary_path, target)
                saved.append(target.name)
                logger.info("uploaded %s into %s as %s", original, folder, target.name)
            return saved
        finally:
            for _, temporary_path, _ in staged:
                temporary_path.unlink(missing_ok=True)
    finally:
        await form.close()
