"""COCO detection JSON (`images`, `annotations`, `categories`; `bbox` is `[x, y, width,
height]` in pixels) to and from annotation frames.

Exports carry Roost's own per-frame fields in `images[].roost` (camera, capture time,
verified, true/false positive, the detector's suggestions) and each box's score and
origin in `annotations[].score` / `annotations[].roost_source`, so an export re-imports
as the same frames; other tools ignore those keys. Import reads any COCO detection file:
crowd boxes (`iscrowd: 1`) are skipped, segmentations ignored; every problem names the
entry (`annotations[12].bbox: ...`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

from roost.annotate.frames import MAX_BOXES, AnnotationError, AnnotationFrame, check_label
from roost.annotate.imported import META_KEYS, ImportedBox, ImportedFrame

COCO_FILE = "annotations.json"
IMAGES_DIR = "images"
MAX_JSON_BYTES = 64 * 2**20
MAX_IMAGES = 10_000
MAX_ANNOTATIONS = 500_000


def coco_document(frames: Sequence[AnnotationFrame]) -> dict[str, Any]:
    """The COCO JSON of `frames` (images named `images/<frame image>`)."""
    labels = sorted({b.label for f in frames for b in f.boxes})
    category = {label: index + 1 for index, label in enumerate(labels)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, frame in enumerate(frames, start=1):
        meta = {"camera": frame.camera, "frame_time": frame.frame_time, "source": frame.source,
                "source_id": frame.source_id, "label": frame.label, "false_positive": frame.false_positive,
                "verified": frame.verified, "suggestions": [b.to_json() for b in frame.suggestions]}
        images.append({"id": image_id, "file_name": f"{IMAGES_DIR}/{frame.image_path.name}", "width": frame.width,
                       "height": frame.height,
                       "date_captured": datetime.fromtimestamp(frame.frame_time, timezone.utc).isoformat(),
                       "roost": meta})
        for box in frame.boxes:
            x1, y1, x2, y2 = box.box
            annotation: dict[str, Any] = {
                "id": len(annotations) + 1, "image_id": image_id, "category_id": category[box.label],
                "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0,
                "roost_source": box.source}
            if box.score is not None:
                annotation["score"] = box.score
            annotations.append(annotation)
    return {"info": {"description": "Roost annotation frames", "version": "1",
                     "date_created": datetime.now(timezone.utc).isoformat()},
            "licenses": [], "images": images, "annotations": annotations,
            "categories": [{"id": i, "name": label, "supercategory": "object"} for label, i in category.items()]}


def _list(document: dict[str, Any], key: str, limit: int) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise AnnotationError(f"COCO '{key}' must be a list")
    if len(value) > limit:
        raise AnnotationError(f"COCO '{key}' has {len(value)} entries; at most {limit}")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AnnotationError(f"{where}: {str(value)[:40]!r} is not a number")
    return float(value)


def load_coco(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_JSON_BYTES:
        raise AnnotationError(f"the COCO JSON is larger than {MAX_JSON_BYTES // 2**20} MB")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise AnnotationError(f"the COCO file is not valid JSON ({str(error)[:200]})") from None
    if not isinstance(document, dict) or "images" not in document:
        raise AnnotationError("the COCO file must be a JSON object with 'images', 'annotations' and 'categories'")
    return document


def parse_coco(document: dict[str, Any], base: PurePosixPath = PurePosixPath(".")) -> list[ImportedFrame]:
    """The frames of a COCO document; `file_name`s are resolved against `base` (the JSON's
    folder in the archive)."""
    categories: dict[Any, str] = {}
    for index, entry in enumerate(_list(document, "categories", 10_000)):
        if not isinstance(entry, dict) or "id" not in entry:
            raise AnnotationError(f"categories[{index}]: expected an object with 'id' and 'name'")
        categories[entry["id"]] = check_label(entry.get("name"), f"categories[{index}].name")
    images: dict[Any, tuple[str, tuple[int, int] | None, dict[str, Any]]] = {}
    for index, entry in enumerate(_list(document, "images", MAX_IMAGES)):
        if not isinstance(entry, dict) or "id" not in entry or not isinstance(entry.get("file_name"), str):
            raise AnnotationError(f"images[{index}]: expected an object with 'id' and 'file_name'")
        if entry["id"] in images:
            raise AnnotationError(f"images[{index}]: id {str(entry['id'])[:40]} appears twice")
        width, height = entry.get("width"), entry.get("height")
        declared = (int(width), int(height)) if isinstance(width, int) and isinstance(height, int) else None
        name = str(base / entry["file_name"].replace("\\", "/")) if base != PurePosixPath(".") else entry["file_name"]
        raw_meta = entry.get("roost")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        images[entry["id"]] = (name, declared, {k: meta[k] for k in META_KEYS if k in meta})
    boxes: dict[Any, list[ImportedBox]] = {key: [] for key in images}
    for index, entry in enumerate(_list(document, "annotations", MAX_ANNOTATIONS)):
        where = f"annotations[{index}]"
        if not isinstance(entry, dict):
            raise AnnotationError(f"{where}: expected an object")
        if entry.get("iscrowd") in (1, True):
            continue
        if entry.get("image_id") not in images:
            raise AnnotationError(f"{where}.image_id: {str(entry.get('image_id'))[:40]} is not in 'images'")
        if entry.get("category_id") not in categories:
            raise AnnotationError(f"{where}.category_id: {str(entry.get('category_id'))[:40]} is not in 'categories'")
        bbox = entry.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise AnnotationError(f"{where}.bbox: expected [x, y, width, height]")
        x, y, w, h = (_number(v, f"{where}.bbox") for v in bbox)
        if w <= 0 or h <= 0:
            raise AnnotationError(f"{where}.bbox: width and height must be positive")
        score = entry.get("score")
        score = _number(score, f"{where}.score") if score is not None else None
        if score is not None and not 0.0 <= score <= 1.0:
            raise AnnotationError(f"{where}.score: {score} is not from 0 to 1")
        source = entry.get("roost_source") if entry.get("roost_source") in ("detector", "user", "import") else "import"
        found = boxes[entry["image_id"]]
        if len(found) >= MAX_BOXES:
            raise AnnotationError(f"{where}: image {entry['image_id']} has more than {MAX_BOXES} boxes")
        found.append(ImportedBox(categories[entry["category_id"]], (x, y, x + w, y + h), score, str(source)))
    return [ImportedFrame(name, tuple(boxes[key]), declared, meta) for key, (name, declared, meta) in images.items()]
