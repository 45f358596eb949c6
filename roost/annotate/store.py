"""Annotation frames in the database (`annotation_frame`) and their images in
`clips/annotations/<frame id>.<jpg|png|webp>`.

Reads go through sessions, writes through the single database writer. Every image path is
built from a checked frame id and a fixed suffix and checked to stay inside the folder, so
nothing a request or an archive names can reach another file. The image is written before
its row (and removed after it), so a row always has its picture.

`verified_frames` is what a tuner reads: the verified frames, oldest capture first (so a
split by time is a slice), each with its image file, size, capture time and boxes.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roost.annotate.frames import (
    IMAGE_SUFFIXES, AnnotationBox, AnnotationError, AnnotationFrame, boxes_from_json, check_frame_id, new_frame_id,
)
from roost.paths import is_within
from roost.store import Database
from roost.store.models import AnnotationFrameRow

logger = logging.getLogger(__name__)

ANNOTATIONS_DIR = "annotations"
#: Frames grabbed from video are stored as JPEG at this quality (close to lossless for training).
STORE_JPEG_QUALITY = 95
MAX_PAGE = 500


def annotations_dir(clips_dir: Path) -> Path:
    return clips_dir / ANNOTATIONS_DIR


def image_suffix(data: bytes) -> str:
    """`.jpg`, `.png` or `.webp` from the file's first bytes (what it is, not what it is called)."""
    if data[:3] == b"\xff\xd8\xff":
        return ".jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return ".png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    raise AnnotationError("the image is not a JPEG, PNG or WebP file")


def encode_frame(image: npt.NDArray[np.uint8]) -> bytes:
    """A BGR frame as the JPEG kept for annotation."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, STORE_JPEG_QUALITY])
    if not ok:
        raise AnnotationError("the frame could not be encoded as JPEG")
    return bytes(encoded.tobytes())


def _frame(row: AnnotationFrameRow, folder: Path) -> AnnotationFrame:
    return AnnotationFrame(
        id=row.id, camera=row.camera, frame_time=row.frame_time, source=row.source, source_id=row.source_id,
        label=row.label, image_path=folder / row.image, width=row.width, height=row.height,
        false_positive=row.false_positive, boxes=boxes_from_json(row.boxes),
        suggestions=boxes_from_json(row.suggestions), verified=row.verified, verified_at=row.verified_at,
        created_at=row.created_at, updated_at=row.updated_at)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


class AnnotationStore:
    """The frames of one Roost (one database, one media folder)."""

    def __init__(self, database: Database, clips_dir: Path) -> None:
        self.database = database
        self.folder = annotations_dir(clips_dir)

    def image_path(self, frame_id: str, suffix: str) -> Path:
        check_frame_id(frame_id)
        if suffix not in IMAGE_SUFFIXES:
            raise AnnotationError(f"'{suffix}' is not an image suffix ({', '.join(IMAGE_SUFFIXES)})")
        path = self.folder / f"{frame_id}{suffix}"
        if not is_within(path, self.folder):
            raise AnnotationError(f"{path.name} would be outside {self.folder}")
        return path

    def add(self, image: bytes, width: int, height: int, *, frame_time: float, source: str,
            camera: str | None = None, source_id: str | None = None, label: str | None = None,
            false_positive: bool | None = None, suggestions: Sequence[AnnotationBox] = (),
            boxes: Sequence[AnnotationBox] | None = None, verified: bool = False) -> AnnotationFrame:
        """Store a frame: `image` is the encoded file (JPEG, PNG or WebP) of `width` x
        `height` pixels. `boxes` default to the suggestions (the detector's boxes) — for a
        frame sent as a false positive, the caller leaves the wrong box out."""
        frame_id = new_frame_id(frame_time)
        path = self.image_path(frame_id, image_suffix(image))
        _write_atomically(path, image)
        now = time.time()
        chosen = list(suggestions if boxes is None else boxes)
        row = AnnotationFrameRow(
            id=frame_id, camera=camera, frame_time=frame_time, source=source, source_id=source_id, label=label,
            image=path.name, width=width, height=height, false_positive=false_positive,
            boxes=[b.to_json() for b in chosen], suggestions=[b.to_json() for b in suggestions],
            verified=verified, verified_at=now if verified else None, created_at=now, updated_at=now)
        try:
            self.database.write(lambda session: session.add(row))
        except Exception:
            path.unlink(missing_ok=True)
            raise
        logger.info("annotation frame %s stored from %s %s (%dx%d, %d boxes)", frame_id, source, source_id or "",
                    width, height, len(chosen))
        return _frame(row, self.folder)

    def get(self, frame_id: str) -> AnnotationFrame | None:
        check_frame_id(frame_id)
        with self.database.read() as session:
            row = session.get(AnnotationFrameRow, frame_id)
        return None if row is None else _frame(row, self.folder)

    def find(self, source: str, source_id: str) -> AnnotationFrame | None:
        """The frame already sent from this event or review item, if any."""
        with self.database.read() as session:
            row = session.scalars(select(AnnotationFrameRow).where(
                AnnotationFrameRow.source == source, AnnotationFrameRow.source_id == source_id).limit(1)).first()
        return None if row is None else _frame(row, self.folder)

    def page(self, verified: bool | None = None, camera: str | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[AnnotationFrame], int]:
        """Newest capture first; returns the page and the total matching."""
        conditions = []
        if verified is not None:
            conditions.append(AnnotationFrameRow.verified == verified)
        if camera is not None:
            conditions.append(AnnotationFrameRow.camera == camera)
        query = select(AnnotationFrameRow).where(*conditions)
        count = select(func.count()).select_from(AnnotationFrameRow).where(*conditions)
        with self.database.read() as session:
            total = int(session.scalar(count) or 0)
            rows = session.scalars(query.order_by(AnnotationFrameRow.frame_time.desc(), AnnotationFrameRow.id)
                                   .offset(max(offset, 0)).limit(min(max(limit, 1), MAX_PAGE))).all()
        return [_frame(r, self.folder) for r in rows], total

    def counts(self) -> dict[str, int]:
        with self.database.read() as session:
            rows = session.execute(select(AnnotationFrameRow.verified, func.count())
                                   .group_by(AnnotationFrameRow.verified)).all()
        found = {bool(verified): int(n) for verified, n in rows}
        return {"verified": found.get(True, 0), "unverified": found.get(False, 0)}

    def all_frames(self, verified: bool | None = None) -> list[AnnotationFrame]:
        """Every frame (or the verified / unverified ones), oldest capture first."""
        query = select(AnnotationFrameRow).order_by(AnnotationFrameRow.frame_time, AnnotationFrameRow.id)
        if verified is not None:
            query = query.where(AnnotationFrameRow.verified == verified)
        with self.database.read() as session:
            return [_frame(r, self.folder) for r in session.scalars(query).all()]

    def set_boxes(self, frame_id: str, boxes: Sequence[AnnotationBox],
                  false_positive: bool | None = None, keep_false_positive: bool = True) -> AnnotationFrame | None:
        """Replace the frame's boxes (and, unless `keep_false_positive`, its true/false
        positive mark). None when there is no such frame."""
        check_frame_id(frame_id)

        def work(session: Session) -> AnnotationFrame | None:
            row = session.get(AnnotationFrameRow, frame_id)
            if row is None:
                return None
            row.boxes = [b.to_json() for b in boxes]
            if not keep_false_positive:
                row.false_positive = false_positive
            row.updated_at = time.time()
            return _frame(row, self.folder)
        return self.database.write(work)

    def set_verified(self, frame_id: str, verified: bool) -> AnnotationFrame | None:
        check_frame_id(frame_id)

        def work(session: Session) -> AnnotationFrame | None:
            row = session.get(AnnotationFrameRow, frame_id)
            if row is None:
                return None
            if row.verified != verified:
                row.verified = verified
                row.verified_at = time.time() if verified else None
                row.updated_at = time.time()
            return _frame(row, self.folder)
        return self.database.write(work)

    def delete(self, frame_id: str) -> bool:
        """Remove the row, then its image; False when there was no such frame."""
        check_frame_id(frame_id)

        def work(session: Session) -> str | None:
            row = session.get(AnnotationFrameRow, frame_id)
            if row is None:
                return None
            session.delete(row)
            return row.image
        image = self.database.write(work)
        if image is None:
            return False
        path = self.folder / image
        if is_within(path, self.folder):
            path.unlink(missing_ok=True)
        return True


def verified_frames(database: Database, clips_dir: Path) -> list[AnnotationFrame]:
    """The frames a tuner may train on: verified ones whose image exists, oldest capture
    first, each with `image_path`, `width`, `height`, `frame_time`, `verified_at` and
    `boxes` (label + `x1, y1, x2, y2` image pixels)."""
    frames = AnnotationStore(database, clips_dir).all_frames(verified=True)
    missing = [f.id for f in frames if not f.image_path.is_file()]
    if missing:
        logger.warning("annotation frames without their image (left out): %s", ", ".join(missing[:10]))
    return [f for f in frames if f.image_path.is_file()]
