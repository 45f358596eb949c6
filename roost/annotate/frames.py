"""The annotation stage's currency types and the checks every box and id goes through.

Boxes are `x1, y1, x2, y2` in whole pixels of the stored image (x2/y2 exclusive, as the
tracker's), always inside it and at least `MIN_BOX_SIDE` a side: a box from a request,
a detector or an import is clipped to the image and refused when nothing is left.
"""

from __future__ import annotations

import math
import random
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

#: Frigate+'s label set (its models' labels; the first five of ATTRIBUTE_LABELS are
#: attributes, see `roost.track.attributes`).
PLUS_LABELS = ("person", "face", "car", "license_plate", "amazon", "ups", "fedex", "package",
               "dog", "cat", "deer")
#: Frame ids: "<frame time, 6 decimals>-<6 random [a-z0-9]>", like event ids.
FRAME_ID = re.compile(r"^[0-9]{1,12}\.[0-9]{6}-[a-z0-9]{6}$")
#: Labels: what a model's labelmap or another tool may name a class (COCO's "traffic light").
LABEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,49}$")
MIN_BOX_SIDE = 1
MAX_BOXES = 500
IMAGE_SUFFIXES = (".jpg", ".png", ".webp")
ID_ALPHABET = string.ascii_lowercase + string.digits

BoxSource = Literal["detector", "user", "import"]
Source = Literal["event", "review", "live", "recording", "import"]
Box = tuple[int, int, int, int]


class AnnotationError(ValueError):
    """A box, label, id or file that cannot be stored; the message names it."""


@dataclass(frozen=True)
class AnnotationBox:
    """One labelled box on a frame. `score` is the detector's (None for a person's box)."""

    label: str
    box: Box
    score: float | None = None
    source: BoxSource = "user"

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "box": list(self.box), "score": self.score, "source": self.source}


@dataclass(frozen=True)
class AnnotationFrame:
    """A stored frame. `image_path` is inside `clips/annotations/`; `frame_time` the
    capture time (epoch s); `verified_at` when the user last verified it (None: not verified)."""

    id: str
    camera: str | None
    frame_time: float
    source: str
    source_id: str | None
    label: str | None
    image_path: Path
    width: int
    height: int
    false_positive: bool | None
    boxes: tuple[AnnotationBox, ...]
    suggestions: tuple[AnnotationBox, ...] = field(default=())
    verified: bool = False
    verified_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_json(self, with_boxes: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "camera": self.camera, "frame_time": self.frame_time, "source": self.source,
            "source_id": self.source_id, "label": self.label, "image": self.image_path.name,
            "width": self.width, "height": self.height, "false_positive": self.false_positive,
            "verified": self.verified, "verified_at": self.verified_at, "created_at": self.created_at,
            "updated_at": self.updated_at, "box_count": len(self.boxes),
            "labels": sorted({b.label for b in self.boxes})}
        if with_boxes:
            data["boxes"] = [b.to_json() for b in self.boxes]
            data["suggestions"] = [b.to_json() for b in self.suggestions]
        return data


def new_frame_id(frame_time: float, rng: random.Random | None = None) -> str:
    """`"<frame time>.<6 decimals>-<6 random>"`.

    >>> new_frame_id(1700000000.5, random.Random(1))[:18]
    '1700000000.500000-'
    """
    chooser = rng or random.SystemRandom()
    suffix = "".join(chooser.choice(ID_ALPHABET) for _ in range(6))
    return f"{max(frame_time, 0.0):.6f}-{suffix}"


def check_frame_id(frame_id: str) -> str:
    if not FRAME_ID.match(frame_id):
        raise AnnotationError(f"'{frame_id[:64]}' is not an annotation frame id (like 1700000000.500000-ab12cd)")
    return frame_id


def check_label(label: object, where: str = "label") -> str:
    if not isinstance(label, str) or not LABEL.match(label.strip()):
        raise AnnotationError(f"{where}: {str(label)[:60]!r} is not a label (letters, digits, '_', ' ', '.', '-'; "
                              "at most 50)")
    return label.strip()


def clip_box(values: object, width: int, height: int, where: str = "box") -> Box:
    """Four numbers `x1, y1, x2, y2` → whole pixels inside a `width` x `height` image.

    >>> clip_box([-5, 10.4, 50.6, 900], 640, 480)
    (0, 10, 51, 480)
    """
    if not isinstance(values, (list, tuple)) or len(values) != 4:
        raise AnnotationError(f"{where}: expected [x1, y1, x2, y2], got {str(values)[:80]}")
    numbers = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise AnnotationError(f"{where}: {value!r} is not a number")
        numbers.append(float(value))
    x1, y1, x2, y2 = numbers
    x1, x2 = sorted((min(max(round(x1), 0), width), min(max(round(x2), 0), width)))
    y1, y2 = sorted((min(max(round(y1), 0), height), min(max(round(y2), 0), height)))
    if x2 - x1 < MIN_BOX_SIDE or y2 - y1 < MIN_BOX_SIDE:
        raise AnnotationError(f"{where}: {[round(n, 1) for n in numbers]} leaves no box inside the "
                              f"{width}x{height} image")
    return (x1, y1, x2, y2)


def parse_boxes(items: Iterable[object], width: int, height: int, source: BoxSource = "user") -> tuple[AnnotationBox, ...]:
    """Request/import JSON `[{label, box, score?}]` → checked boxes (errors name the index)."""
    boxes = []
    for index, item in enumerate(items):
        if index >= MAX_BOXES:
            raise AnnotationError(f"boxes: at most {MAX_BOXES} a frame")
        if not isinstance(item, dict):
            raise AnnotationError(f"boxes[{index}]: expected an object with 'label' and 'box'")
        score = item.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))
                                  or not 0.0 <= float(score) <= 1.0):
            raise AnnotationError(f"boxes[{index}].score: {score!r} is not a number from 0 to 1")
        boxes.append(AnnotationBox(check_label(item.get("label"), f"boxes[{index}].label"),
                                   clip_box(item.get("box"), width, height, f"boxes[{index}].box"),
                                   None if score is None else float(score), source))
    return tuple(boxes)


def boxes_from_json(items: object) -> tuple[AnnotationBox, ...]:
    """Stored JSON → boxes (trusted: written by this module)."""
    if not isinstance(items, list):
        return ()
    return tuple(AnnotationBox(str(b["label"]), (int(b["box"][0]), int(b["box"][1]), int(b["box"][2]), int(b["box"][3])),
                               b.get("score"), b.get("source", "user")) for b in items if isinstance(b, dict))


def scaled_box(box: Sequence[float], scale_x: float, scale_y: float, width: int, height: int) -> Box | None:
    """A detect-resolution box in the pixels of an image `scale_x`/`scale_y` times as large
    (a recording at record resolution), clipped; None when nothing is left."""
    try:
        return clip_box([box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y], width, height)
    except AnnotationError:
        return None
