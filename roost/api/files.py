"""Responses made of media files and images: every file served is checked to lie inside one
of the media folders (symlinks followed), and images are re-encoded with cv2."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from fastapi import HTTPException, Response
from fastapi.responses import FileResponse

from roost.events.snapshots import Image, encode_jpeg, resize_to_height
from roost.paths import is_within

NO_STORE = {"Cache-Control": "no-store"}
#: Event media does not change once written (ids are unique).
CACHE_PRIVATE = {"Cache-Control": "private, max-age=600"}


def file_response(path: Path, roots: Sequence[Path], media_type: str, what: str,
                  download_name: str | None = None) -> FileResponse:
    """The file (with HTTP range support) if it exists inside one of `roots`, else 404."""
    if not any(is_within(path, root) for root in roots) or not path.is_file():
        raise HTTPException(status_code=404, detail=f"{what} not found")
    headers = dict(CACHE_PRIVATE)
    if download_name is not None:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return FileResponse(path, media_type=media_type, headers=headers)


def jpeg_response(data: bytes, cache: bool = False) -> Response:
    return Response(content=data, media_type="image/jpeg", headers=CACHE_PRIVATE if cache else NO_STORE)


def decode_image(data: bytes) -> Image:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise HTTPException(status_code=500, detail="stored image cannot be decoded")
    return np.asarray(image, dtype=np.uint8)


def read_image(path: Path, root: Path) -> Image | None:
    """A stored image (BGR) inside `root`, or None when absent/unreadable."""
    if not is_within(path, root) or not path.is_file():
        return None
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image, dtype=np.uint8)


def resized_jpeg(data: bytes, height: int | None, quality: int) -> bytes:
    """JPEG bytes scaled to `height` (kept as they are when no height is asked for)."""
    if height is None:
        return data
    return encode_jpeg(resize_to_height(decode_image(data), height), quality)
