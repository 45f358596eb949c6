"""`ImportedFrame`: one image and its boxes as read from a COCO or YOLO set, before the
image is decoded and the boxes checked against it (`roost.annotate.importing`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Per-frame fields Roost writes into its exports (COCO `images[].roost`, YOLO `roost.json`)
#: so a re-import keeps them; other tools' sets have none.
META_KEYS = ("camera", "frame_time", "source", "source_id", "label", "false_positive", "verified", "suggestions")


@dataclass(frozen=True)
class ImportedBox:
    """`x1, y1, x2, y2` in pixels, or normalized 0..1 of the image when `normalized` (YOLO)."""

    label: str
    box: tuple[float, float, float, float]
    score: float | None = None
    source: str = "import"
    normalized: bool = False


@dataclass(frozen=True)
class ImportedFrame:
    member: str  # the image's name inside the archive
    boxes: tuple[ImportedBox, ...]
    declared_size: tuple[int, int] | None = None  # (width, height) the set says
    meta: dict[str, Any] = field(default_factory=dict)
