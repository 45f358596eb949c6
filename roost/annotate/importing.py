"""Import and export of annotation sets as zip files (COCO JSON or YOLO txt, plus images).

Import is all or nothing: the archive is read and every image decoded and every box
checked before the first frame is stored, so a bad set leaves the store as it was. Boxes
are clipped to their image and rounded to whole pixels (`roost.annotate.frames`). An
image's stored file is the archive's bytes when it is a JPEG, PNG or WebP (decoding
decides, not the name), else it is re-encoded as PNG.

Frames keep what a Roost export says of them (camera, capture time, verified, ...);
frames of other tools' sets come in unverified (unless the request says `verified`), with
their capture time the import time, a millisecond apart in the archive's order.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import cv2
import numpy as np

from roost.annotate.archive import Archive, ArchiveError, write_archive
from roost.annotate.coco import COCO_FILE, coco_document, load_coco, parse_coco
from roost.annotate.frames import AnnotationBox, AnnotationError, AnnotationFrame, check_label, clip_box, parse_boxes
from roost.annotate.imported import ImportedFrame
from roost.annotate.store import AnnotationStore, image_suffix
from roost.annotate.yolo import ROOST_FILE, data_yaml, parse_yolo, yolo_files

Format = Literal["coco", "yolo"]
MAX_IMPORT_FRAMES = 10_000
MAX_IMAGE_BYTES = 32 * 2**20
MIN_SIDE, MAX_SIDE = 16, 8192
CAMERA = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SOURCES = ("event", "review", "live", "recording", "import")
#: The latest capture time accepted from a set (year 5138): anything later is not epoch seconds.
MAX_EPOCH_S = 1e11


@dataclass(frozen=True)
class PreparedFrame:
    image: bytes
    width: int
    height: int
    boxes: tuple[AnnotationBox, ...]
    suggestions: tuple[AnnotationBox, ...]
    meta: dict[str, Any]


@dataclass(frozen=True)
class ImportResult:
    format: Format
    frames: list[AnnotationFrame]

    def to_json(self) -> dict[str, Any]:
        return {"success": True, "format": self.format, "imported": len(self.frames),
                "boxes": sum(len(f.boxes) for f in self.frames),
                "labels": sorted({b.label for f in self.frames for b in f.boxes}),
                "ids": [f.id for f in self.frames]}


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"{", b"[")


def _coco_member(archive: Archive) -> str | None:
    names = [m for m in archive.members if m.lower().endswith(".json") and PurePosixPath(m).name != ROOST_FILE]
    if not names:
        return None
    named = [m for m in names if PurePosixPath(m).name == COCO_FILE]
    if len(named) == 1 or len(names) == 1:
        return (named or names)[0]
    raise AnnotationError(f"the zip has several JSON files ({', '.join(sorted(names)[:5])}); "
                          f"name the COCO one {COCO_FILE}")


def _resolve(member: str, base: PurePosixPath, archive: Archive) -> str:
    """The archive member an image's `file_name` means: as written (against the JSON's
    folder), in an `images/` folder beside it, or the one member of that file name."""
    if member in archive.members:
        return member
    name = PurePosixPath(member).name
    beside = str(base / "images" / name) if base != PurePosixPath(".") else f"images/{name}"
    if beside in archive.members:
        return beside
    matches = [m for m in archive.members if PurePosixPath(m).name == name]
    if len(matches) == 1:
        return matches[0]
    raise AnnotationError(f"image '{member[:120]}' named in the COCO file is not in the zip"
                          + (" (several files have that name)" if matches else ""))


def read_set(data: bytes, fmt: Format | None) -> tuple[Archive, Format, list[ImportedFrame]]:
    """Open an uploaded zip and read its COCO or YOLO annotations (`fmt` None: whichever it has)."""
    if not data:
        raise AnnotationError("the upload is empty: send a .zip with the images and their annotations")
    if _looks_like_json(data):
        raise AnnotationError("a COCO JSON alone has no images: send a .zip with the JSON and the images it names")
    archive = Archive(data)
    try:
        coco = _coco_member(archive) if fmt in (None, "coco") else None
        if fmt == "coco" and coco is None:
            raise AnnotationError("no COCO JSON in the zip (expected annotations.json beside the images)")
        if coco is not None:
            base = PurePosixPath(coco).parent
            frames = parse_coco(load_coco(archive.read(coco)), base)
            frames = [ImportedFrame(_resolve(f.member, base, archive), f.boxes, f.declared_size, f.meta)
                      for f in frames]
            chosen: Format = "coco"
        else:
            frames, chosen = parse_yolo(archive), "yolo"
    except BaseException:
        archive.close()
        raise
    if len(frames) > MAX_IMPORT_FRAMES:
        archive.close()
        raise AnnotationError(f"the set has {len(frames)} images; at most {MAX_IMPORT_FRAMES} at a time")
    return archive, chosen, frames


def _decode(data: bytes, member: str) -> tuple[bytes, int, int]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if image is None:
        raise AnnotationError(f"'{member[:120]}' is not an image (expected JPEG, PNG or WebP)")
    height, width = image.shape[:2]
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise AnnotationError(f"'{member[:120]}' is {width}x{height}; expected {MIN_SIDE} to {MAX_SIDE} pixels a side")
    try:
        image_suffix(data)
    except AnnotationError:
        ok, encoded = cv2.imencode(".png", image)
        if not ok:
            raise AnnotationError(f"'{member[:120]}' could not be stored as PNG") from None
        data = encoded.tobytes()
    return data, int(width), int(height)


def _meta(raw: dict[str, Any], index: int, now: float, verified: bool | None) -> dict[str, Any]:
    frame_time = raw.get("frame_time")
    if isinstance(frame_time, bool) or not isinstance(frame_time, (int, float)) or not math.isfinite(frame_time) \
            or not 0 <= frame_time < MAX_EPOCH_S:
        frame_time = now + index / 1000
    camera = raw.get("camera") if isinstance(raw.get("camera"), str) and CAMERA.match(raw["camera"]) else None
    source_id = raw.get("source_id") if isinstance(raw.get("source_id"), str) and CAMERA.match(
        raw["source_id"].replace(".", "_")) else None
    label = raw.get("label")
    try:
        label = check_label(label) if label is not None else None
    except AnnotationError:
        label = None
    false_positive = raw.get("false_positive") if isinstance(raw.get("false_positive"), bool) else None
    return {"frame_time": float(frame_time), "camera": camera,
            "source": raw.get("source") if raw.get("source") in SOURCES else "import", "source_id": source_id,
            "label": label, "false_positive": false_positive,
            "verified": verified if verified is not None else raw.get("verified") is True}


def prepare(archive: Archive, frames: Sequence[ImportedFrame], verified: bool | None) -> list[PreparedFrame]:
    """Decode and check everything (errors name the image and the box)."""
    now = time.time()
    prepared = []
    for index, frame in enumerate(frames):
        data, width, height = _decode(archive.read(frame.member, MAX_IMAGE_BYTES), frame.member)
        if frame.declared_size is not None and frame.declared_size != (width, height):
            raise AnnotationError(f"'{frame.member[:120]}': the set says {frame.declared_size[0]}x"
                                  f"{frame.declared_size[1]}, the image is {width}x{height}")
        boxes = []
        for number, box in enumerate(frame.boxes):
            where = f"'{frame.member[:120]}' box {number + 1}"
            sx, sy = (width, height) if box.normalized else (1, 1)
            pixels = clip_box([box.box[0] * sx, box.box[1] * sy, box.box[2] * sx, box.box[3] * sy], width, height, where)
            score = box.score if isinstance(box.score, (int, float)) and 0 <= box.score <= 1 else None
            source = box.source if box.source in ("detector", "user", "import") else "import"
            boxes.append(AnnotationBox(check_label(box.label, where), pixels, score, source))  # type: ignore[arg-type]
        raw_suggestions = frame.meta.get("suggestions")
        suggestions = parse_boxes(raw_suggestions, width, height, "detector") if isinstance(raw_suggestions, list) else ()
        prepared.append(PreparedFrame(data, width, height, tuple(boxes), suggestions,
                                      _meta(frame.meta, index, now, verified)))
    return prepared


def import_set(store: AnnotationStore, data: bytes, fmt: Format | None = None,
               verified: bool | None = None) -> ImportResult:
    """Read, check, then store a whole uploaded set (module doc)."""
    archive, chosen, frames = read_set(data, fmt)
    try:
        prepared = prepare(archive, frames, verified)
    except ArchiveError as error:
        raise AnnotationError(str(error)) from None
    finally:
        archive.close()
    stored = [store.add(p.image, p.width, p.height, boxes=p.boxes, suggestions=p.suggestions, **p.meta)
              for p in prepared]
    return ImportResult(chosen, stored)


def export_set(frames: Sequence[AnnotationFrame], fmt: Format, directory: Path | None = None) -> Path:
    """A zip of `frames` (images included) in `fmt`, in a temporary file the caller removes."""
    present = [f for f in frames if f.image_path.is_file()]
    images = [(f"images/{f.image_path.name}", f.image_path) for f in present]
    if fmt == "coco":
        return write_archive([(COCO_FILE, json.dumps(coco_document(present), indent=1).encode()), *images], directory)
    names, labels, roost = yolo_files(present)
    text: list[tuple[str, bytes | Path]] = [("classes.txt", "".join(f"{n}\n" for n in names).encode()),
                                            ("data.yaml", data_yaml(names).encode()),
                                            (ROOST_FILE, json.dumps(roost, indent=1).encode())]
    return write_archive([*text, *images, *((name, body.encode()) for name, body in labels)], directory)
