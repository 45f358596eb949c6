"""`Detection`: the detector stage's currency type."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from roost.detect.region import Region


@dataclass(frozen=True)
class Detection:
    """One object found by the detector in one frame.

    `box` is `x1, y1, x2, y2` in detect-resolution frame pixels; `area` is the box's
    width * height in pixels and `ratio` its width / height (Frigate's filter inputs);
    `region` is the square that was run through the model to find it.
    """

    label: str
    score: float
    box: tuple[int, int, int, int]
    area: int
    ratio: float
    region: Region


def detections_in_frame(raw: npt.NDArray[np.float32], region: Region, labels: Sequence[str],
                        wanted: Collection[str] | None = None) -> list[Detection]:
    """Detector output for one region → `Detection`s in frame pixels.

    `raw` is `(N, 6)`: `class_id, score, x1, y1, x2, y2` with coordinates normalized 0..1
    relative to the (square) region; `labels[class_id]` names the class. Detections whose
    label is not in `wanted` (when given) or whose box is empty are dropped.
    """
    size = region.size
    found: list[Detection] = []
    for class_id, score, nx1, ny1, nx2, ny2 in np.asarray(raw, np.float64).reshape(-1, 6):
        index = int(class_id)
        label = labels[index] if 0 <= index < len(labels) else str(index)
        if wanted is not None and label not in wanted:
            continue
        x1 = int(round(region.x1 + max(0.0, nx1) * size))
        y1 = int(round(region.y1 + max(0.0, ny1) * size))
        x2 = int(round(region.x1 + min(1.0, nx2) * size))
        y2 = int(round(region.y1 + min(1.0, ny2) * size))
        width, height = x2 - x1, y2 - y1
        if width <= 0 or height <= 0:
            continue
        found.append(Detection(label, float(score), (x1, y1, x2, y2), width * height, width / height, region))
    return found
