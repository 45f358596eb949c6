"""Stationary objects: has a tracked object moved to a new position?

Frigate's rule: an object keeps a *position box*, built from its first boxes at that
position (15th percentile of the left/top edges, 85th of the right/bottom edges over up to
`POSITION_HISTORY` boxes, so detector jitter does not read as movement). A new box whose
IoU with the position box is below `STILL_IOU` means the object moved: the position
restarts from that box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from roost.box import Box
from roost.detect.regions import pairwise_iou

#: Below this IoU with its position box, an object has moved (Frigate's value).
STILL_IOU = 0.6
#: Boxes that refine a position box.
POSITION_HISTORY = 10


@dataclass(frozen=True)
class Position:
    """Where an object stands: `box` (float x1, y1, x2, y2) built from `boxes` seen there."""

    box: tuple[float, float, float, float]
    boxes: tuple[Box, ...]


def _float_box(values: Sequence[float]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in values)
    return x1, y1, x2, y2


def new_position(box: Box) -> Position:
    """A position starting at `box`."""
    return Position(_float_box(box), (box,))


def update_position(position: Position, box: Box) -> tuple[Position, bool]:
    """The object's position after a detection at `box`, and whether it stayed still.

    >>> still, moved = new_position((0, 0, 10, 10)), (50, 50, 60, 60)
    >>> update_position(still, (0, 0, 10, 11))[1], update_position(still, moved)[1]
    (True, False)
    """
    iou = float(pairwise_iou(np.array([position.box]), np.array([box], np.float64))[0, 0])
    if iou < STILL_IOU:
        return new_position(box), False
    if len(position.boxes) >= POSITION_HISTORY:
        return position, True
    boxes = (*position.boxes, box)
    edges = np.array(boxes, np.float64)
    refined = np.concatenate((np.percentile(edges[:, :2], 15, axis=0), np.percentile(edges[:, 2:], 85, axis=0)))
    return Position(_float_box(refined.tolist()), boxes), True
