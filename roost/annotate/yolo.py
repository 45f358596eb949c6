"""YOLO (Darknet / Ultralytics) detection sets: `images/<name>` with `labels/<stem>.txt`
beside them (one `class x_centre y_centre width height` line per box, normalized 0..1),
and the class names in `classes.txt` (one a line), `obj.names` or `data.yaml` (`names:`,
a list or `{index: name}`). Sub-folders (`images/train/`, `labels/train/`) are paired the
Ultralytics way: the last `images` folder of the path becomes `labels`.

Exports add `roost.json` (each frame's camera, capture time, verified and true/false
positive marks, and its boxes' scores and origins in line order), so a re-import is the
same set; other tools ignore it. An image without a label file is a frame without boxes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

import yaml

from roost.annotate.archive import Archive
from roost.annotate.frames import MAX_BOXES, AnnotationError, AnnotationFrame, check_label
from roost.annotate.imported import META_KEYS, ImportedBox, ImportedFrame

ROOST_FILE = "roost.json"
CLASS_FILES = ("classes.txt", "obj.names", "data.yaml", "dataset.yaml")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
MAX_TEXT_BYTES = 4 * 2**20
#: Normalized coordinates a little outside 0..1 (rounding by other tools) are clipped, not refused.
TOLERANCE = 0.01


def yolo_files(frames: Sequence[AnnotationFrame]) -> tuple[list[str], list[tuple[str, str]], dict[str, Any]]:
    """(class names, `(labels/<stem>.txt, text)` per frame, the `roost.json` document)."""
    names = sorted({b.label for f in frames for b in f.boxes})
    index = {label: i for i, label in enumerate(names)}
    labels, meta = [], {}
    for frame in frames:
        lines = []
        for box in frame.boxes:
            x1, y1, x2, y2 = box.box
            lines.append(f"{index[box.label]} {(x1 + x2) / 2 / frame.width:.6f} {(y1 + y2) / 2 / frame.height:.6f} "
                         f"{(x2 - x1) / frame.width:.6f} {(y2 - y1) / frame.height:.6f}")
        stem = frame.image_path.stem
        labels.append((f"labels/{stem}.txt", "".join(f"{line}\n" for line in lines)))
        meta[f"images/{frame.image_path.name}"] = {
            "camera": frame.camera, "frame_time": frame.frame_time, "source": frame.source,
            "source_id": frame.source_id, "label": frame.label, "false_positive": frame.false_positive,
            "verified": frame.verified, "suggestions": [b.to_json() for b in frame.suggestions],
            "boxes": [{"score": b.score, "source": b.source} for b in frame.boxes]}
    return names, labels, {"format": 1, "frames": meta}


def data_yaml(names: Sequence[str]) -> str:
    return yaml.safe_dump({"path": ".", "train": "images", "val": "images", "nc": len(names),
                           "names": {i: name for i, name in enumerate(names)}}, sort_keys=False)


def _text(archive: Archive, name: str) -> str:
    try:
        return archive.read(name, MAX_TEXT_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnnotationError(f"'{name[:120]}' is not UTF-8 text") from None


def class_names(archive: Archive) -> list[str]:
    """The class names, from the shallowest class file of the archive."""
    found = sorted((m for m in archive.members if PurePosixPath(m).name in CLASS_FILES),
                   key=lambda m: (len(PurePosixPath(m).parts), CLASS_FILES.index(PurePosixPath(m).name)))
    if not found:
        raise AnnotationError("no class names: add classes.txt (one name a line) or data.yaml (names:) to the zip")
    name = found[0]
    text = _text(archive, name)
    if name.endswith(".yaml"):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise AnnotationError(f"'{name}' is not valid YAML ({str(error)[:200]})") from None
        raw = document.get("names") if isinstance(document, dict) else None
        if isinstance(raw, dict):
            if not all(isinstance(k, int) for k in raw) or sorted(raw) != list(range(len(raw))):
                raise AnnotationError(f"'{name}': names must be numbered 0, 1, 2, ...")
            raw = [raw[i] for i in range(len(raw))]
        if not isinstance(raw, list):
            raise AnnotationError(f"'{name}' has no 'names' list")
        names = raw
    else:
        names = [line.strip() for line in text.splitlines() if line.strip()]
    return [check_label(label, f"{name}: class {i}") for i, label in enumerate(names)]


def label_member(image: str, members: dict[str, Any]) -> str | None:
    """The label file of an image member, if the archive has one."""
    path = PurePosixPath(image)
    parts = list(path.parts)
    if "images" in parts:
        at = len(parts) - 1 - parts[::-1].index("images")
        parts[at] = "labels"
        candidate = str(PurePosixPath(*parts).with_suffix(".txt"))
        if candidate in members:
            return candidate
    beside = str(path.with_suffix(".txt"))
    return beside if beside in members else None


def parse_label_file(text: str, names: Sequence[str], where: str) -> list[ImportedBox]:
    boxes: list[ImportedBox] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) not in (5, 6):
            raise AnnotationError(f"{where} line {number}: expected 'class x_centre y_centre width height' "
                                  f"(segmentation polygons are not supported)")
        try:
            cls = int(fields[0])
            cx, cy, w, h = (float(v) for v in fields[1:5])
        except ValueError:
            raise AnnotationError(f"{where} line {number}: {line.strip()[:60]!r} is not numbers") from None
        if not 0 <= cls < len(names):
            raise AnnotationError(f"{where} line {number}: class {cls} is not in the {len(names)} class names")
        values = (cx, cy, w, h)
        if any(v != v or v < -TOLERANCE or v > 1 + TOLERANCE for v in values) or w <= 0 or h <= 0:
            raise AnnotationError(f"{where} line {number}: coordinates must be normalized 0..1 with a positive size")
        if len(boxes) >= MAX_BOXES:
            raise AnnotationError(f"{where}: more than {MAX_BOXES} boxes")
        boxes.append(ImportedBox(names[cls], (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), normalized=True))
    return boxes


def parse_yolo(archive: Archive) -> list[ImportedFrame]:
    names = class_names(archive)
    roost: dict[str, Any] = {}
    if ROOST_FILE in archive.members:
        try:
            document = json.loads(_text(archive, ROOST_FILE))
        except json.JSONDecodeError as error:
            raise AnnotationError(f"'{ROOST_FILE}' is not valid JSON ({str(error)[:200]})") from None
        frames = document.get("frames") if isinstance(document, dict) else None
        roost = frames if isinstance(frames, dict) else {}
    found = []
    for member in sorted(m for m in archive.members if PurePosixPath(m).suffix.lower() in IMAGE_SUFFIXES):
        label_file = label_member(member, archive.members)
        boxes = parse_label_file(_text(archive, label_file), names, label_file) if label_file else []
        raw_meta = roost.get(member)
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        raw_extra = meta.get("boxes")
        extra: list[Any] = raw_extra if isinstance(raw_extra, list) else []
        if len(extra) == len(boxes):  # Roost's own export: scores and origins in line order
            boxes = [ImportedBox(b.label, b.box, e.get("score") if isinstance(e, dict) else None,
                                 str(e.get("source", "import")) if isinstance(e, dict) else "import", True)
                     for b, e in zip(boxes, extra)]
        found.append(ImportedFrame(member, tuple(boxes), None, {k: meta[k] for k in META_KEYS if k in meta}))
    if not found:
        raise AnnotationError("the zip has no images (.jpg, .png, .webp) for the YOLO labels")
    return found
