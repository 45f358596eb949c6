"""Regions: the squares of the frame the detector looks at (Frigate's "look only where needed").

Boxes are `x1, y1, x2, y2` in detect-frame pixels with x2/y2 exclusive; arrays of them are
`(N, 4)`. Frame shapes are `(height, width)` (a trailing channel count is ignored).

`calculate_regions` is what the camera process calls each frame:

1. motion boxes and the predicted boxes of tracked objects are pooled, clipped to the
   frame, and boxes that overlap are joined (connected groups → one bounding box);
2. each box gets a square around its centre: side `MOTION_MULTIPLIER` x its longer side,
   rounded up to a multiple of 4, at least the model's input size, at most the frame's
   shorter side (a square must fit in the frame); a box longer than that is cut into equal
   tiles along its long axis so every part of it is still looked at;
3. squares start on even pixels (yuv420p's chroma covers 2x2 blocks, so a region's
   planes can be cut without converting the frame: `roost.detect.region_input`) and are
   shifted (never shrunk) to lie inside the frame;
4. squares that overlap by more than `MERGE_IOU` are merged into one square around both,
   repeatedly, as long as the merged square still fits in the frame.

Invariants (tested with hypothesis): every region is square, inside the frame, at least
`min(model_size, frame's shorter side)` wide, and the regions cover every input box.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from roost.detect.region import Region

logger = logging.getLogger(__name__)

#: A region's side relative to the box it is built around (Frigate's value), so an object
#: moving between frames is still inside and the model sees some context around it.
MOTION_MULTIPLIER = 1.2
#: Regions overlapping more than this (intersection over union) are merged (Frigate's value).
MERGE_IOU = 0.4
#: Region sides are multiples of this, as Frigate's are.
SIZE_STEP = 4

Boxes = npt.NDArray[np.float64]  # (N, 4) x1, y1, x2, y2
IntBoxes = npt.NDArray[np.int64]  # (N, 4) x1, y1, x2, y2


def as_boxes(boxes: Iterable[Sequence[float]]) -> Boxes:
    """Any sequence of 4-tuples (MotionBox, Region, detection boxes) as an `(N, 4)` array.

    >>> as_boxes([(1, 2, 3, 4)]).tolist(), as_boxes([]).shape
    ([[1.0, 2.0, 3.0, 4.0]], (0, 4))
    """
    return np.array([tuple(box) for box in boxes], np.float64).reshape(-1, 4)


def pairwise_iou(a: npt.NDArray[np.floating] | IntBoxes, b: npt.NDArray[np.floating] | IntBoxes
                 ) -> npt.NDArray[np.float64]:
    """Intersection over union of every box of `a` `(N, 4)` with every box of `b` `(M, 4)`:
    an `(N, M)` array in 0..1 (0 for empty boxes).

    >>> pairwise_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 30, 30]])).round(3).tolist()
    [[0.333, 0.0]]
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    overlap = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(axis=1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - overlap
    iou: npt.NDArray[np.float64] = np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0)
    return iou


def join_overlapping(boxes: Boxes) -> Boxes:
    """Replace each connected group of overlapping boxes `(N, 4)` by its bounding box
    `(K, 4)`, K <= N. Boxes that only touch (shared edge) are not joined. Groups come out
    in the order of their first box.

    >>> join_overlapping(np.array([[0, 0, 10, 10], [50, 50, 60, 60], [5, 5, 20, 20], [18, 18, 30, 30]], float)).tolist()
    [[0.0, 0.0, 30.0, 30.0], [50.0, 50.0, 60.0, 60.0]]
    """
    if len(boxes) < 2:
        return boxes.copy()
    overlaps = ((np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
                 > np.maximum(boxes[:, None, :2], boxes[None, :, :2])).all(axis=2))
    reach = overlaps | np.eye(len(boxes), dtype=bool)
    while True:  # transitive closure by squaring: at most log2(N) rounds
        wider = (reach.astype(np.int64) @ reach.astype(np.int64)) > 0
        if (wider == reach).all():
            break
        reach = wider
    group = reach.argmax(axis=1)  # lowest box index in each box's group
    _, first, member = np.unique(group, return_index=True, return_inverse=True)
    joined = np.empty((len(first), 4), np.float64)
    joined[:, :2] = np.inf
    joined[:, 2:] = -np.inf
    for column, reduce in ((0, np.minimum), (1, np.minimum), (2, np.maximum), (3, np.maximum)):
        reduce.at(joined[:, column], member, boxes[:, column])
    return joined[np.argsort(first, kind="stable")]


def _tiles(boxes: Boxes, max_side: int) -> Boxes:
    """Cut boxes whose longer side exceeds `max_side` into equal tiles along that side."""
    sizes = boxes[:, 2:] - boxes[:, :2]
    longest = sizes.max(axis=1)
    # tile edges are rounded outwards, so each tile is up to 2 px longer than its share
    pieces = np.where(longest > max_side, np.ceil(longest / (max_side - 2)), 1).astype(np.int64)
    if (pieces == 1).all():
        return boxes
    rows = np.repeat(np.arange(len(boxes)), pieces)
    index = np.arange(len(rows)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    tiles = boxes[rows].copy()
    along_x = sizes[rows, 0] >= sizes[rows, 1]
    axis = np.where(along_x, 0, 1)
    step = sizes[rows, axis] / pieces[rows]
    start = boxes[rows, axis] + index * step
    tiles[np.arange(len(rows)), axis] = np.floor(start)
    tiles[np.arange(len(rows)), axis + 2] = np.ceil(start + step)
    return tiles


def square_regions(boxes: Boxes, frame_shape: tuple[int, ...], min_size: int,
                   multiplier: float = MOTION_MULTIPLIER) -> IntBoxes:
    """One square `(M, 4)` per box (several for a box longer than the frame's shorter side),
    centred on it, side `multiplier` x its longer side rounded up to `SIZE_STEP`, clamped to
    `[min_size, min(height, width)]`, shifted to lie inside the frame. Boxes must already be
    clipped to the frame.

    >>> square_regions(np.array([[100.0, 100.0, 140.0, 200.0]]), (576, 768), 320).tolist()
    [[0, 0, 320, 320]]
    """
    height, width = int(frame_shape[0]), int(frame_shape[1])
    max_side = min(height, width)
    if len(boxes) == 0:
        return np.zeros((0, 4), np.int64)
    boxes = _tiles(boxes, max_side)
    longest = (boxes[:, 2:] - boxes[:, :2]).max(axis=1)
    side = np.ceil(longest * multiplier / SIZE_STEP) * SIZE_STEP
    side = np.clip(np.maximum(side, min_size), longest, max_side).astype(np.int64)
    centre_twice = boxes[:, :2] + boxes[:, 2:]  # 2 x centre keeps the rounding exact
    top_left = np.floor((centre_twice - side[:, None]) / 2).astype(np.int64)
    # Even corners where the square still covers its box: a region's chroma then starts on
    # a whole 2x2 block (a square as long as its box keeps its odd corner).
    even = top_left - top_left % 2
    top_left = np.where(even + side[:, None] >= np.ceil(boxes[:, 2:]), even, top_left)
    top_left = np.clip(top_left, 0, np.array([width, height]) - side[:, None])
    return np.hstack((top_left, top_left + side[:, None]))


def merge_regions(regions: IntBoxes, frame_shape: tuple[int, ...],
                  merge_iou: float = MERGE_IOU) -> IntBoxes:
    """Merge the most-overlapping pair of squares `(N, 4)` into one square around both while
    some pair overlaps by more than `merge_iou` and their union fits in the frame's shorter
    side; returns `(K, 4)` squares, K <= N."""
    max_side = min(int(frame_shape[0]), int(frame_shape[1]))
    regions = regions.copy()
    while len(regions) > 1:
        iou = pairwise_iou(regions, regions)
        np.fill_diagonal(iou, -1.0)
        union_side = (np.maximum(regions[:, None, 2:], regions[None, :, 2:])
                      - np.minimum(regions[:, None, :2], regions[None, :, :2])).max(axis=2)
        iou[union_side > max_side] = -1.0
        first, second = np.unravel_index(np.argmax(iou), iou.shape)
        if iou[first, second] <= merge_iou:
            break
        union = np.concatenate((np.minimum(regions[first, :2], regions[second, :2]),
                                np.maximum(regions[first, 2:], regions[second, 2:])))
        merged = square_regions(union[None, :].astype(np.float64), frame_shape, 0, multiplier=1.0)
        keep = np.ones(len(regions), bool)
        keep[[first, second]] = False
        regions = np.vstack((regions[keep], merged))
    return regions


def calculate_regions(frame_shape: tuple[int, ...], motion_boxes: Iterable[Sequence[float]],
                      object_boxes: Iterable[Sequence[float]], model_size: int,
                      merge_iou: float = MERGE_IOU) -> list[Region]:
    """The regions to run the detector on this frame.

    `motion_boxes`: this frame's `MotionBox`es; `object_boxes`: the predicted boxes of the
    tracked objects to look at again (`ObjectTracker.boxes_to_look_at`); `model_size`: the
    model's input side (e.g. 320). All in frame pixels.

    >>> calculate_regions((576, 768), [(400, 300, 440, 420)], [(410, 290, 450, 410)], 320)
    [Region(x1=264, y1=194, x2=584, y2=514)]
    """
    height, width = int(frame_shape[0]), int(frame_shape[1])
    boxes = np.vstack((as_boxes(motion_boxes), as_boxes(object_boxes)))
    boxes = np.clip(boxes, 0, [width, height, width, height])
    boxes = boxes[((boxes[:, 2:] - boxes[:, :2]) > 0).all(axis=1)]
    if len(boxes) == 0:
        return []
    squares = square_regions(join_overlapping(boxes), frame_shape, model_size)
    merged = merge_regions(squares, frame_shape, merge_iou)
    logger.debug("%d boxes -> %d regions", len(boxes), len(merged))
    return [Region(*row) for row in merged.tolist()]
