"""One object, one detection per frame: suppressing duplicates across a frame's regions.

Regions overlap (they are squares around motion and tracked objects, merged only when they
overlap a lot), so an object inside two of them is detected twice, once in each, and the
model's own NMS never sees both. Worse, in a region that cuts through the object the model
boxes the part it sees (a person's upper half): a second box the tracker would otherwise
start as a second object.

`suppress_duplicates` keeps, of each group of same-label detections that are one object,
the one from the region where the object is most *central* (the model saw it whole and with
context), the score breaking ties. Two detections are one object when their boxes overlap
by IoU > `DUPLICATE_IOU`, or when one of them is cut by its region's edge (inside the
frame) and lies mostly (`CUT_OVERLAP` of its area) inside the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from roost.detect.detection import Detection
from roost.detect.regions import pairwise_iou

#: Same-label boxes overlapping more than this are one object (as the tracker's refusal).
DUPLICATE_IOU = 0.5
#: A box cut by its region's edge that lies this much inside another box is a part of it.
CUT_OVERLAP = 0.8
#: A box edge this close (pixels) to its region's edge, away from the frame's edge, is cut.
EDGE_PIXELS = 2

Boxes = npt.NDArray[np.float64]


def centrality(boxes: Boxes, regions: Boxes) -> npt.NDArray[np.float64]:
    """`(N,)` how central each box `(N, 4)` is in its region `(N, 4)`: 1 at the region's
    centre, 0 with the box centre on its edge (Chebyshev distance over half the side).

    >>> centrality(np.array([[140.0, 140, 180, 180], [0, 0, 40, 40]]), np.array([[0.0, 0, 320, 320]] * 2)).tolist()
    [1.0, 0.125]
    """
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    region_centre = (regions[:, :2] + regions[:, 2:]) / 2
    half = np.maximum((regions[:, 2] - regions[:, 0]) / 2, 1.0)
    result: npt.NDArray[np.float64] = 1.0 - np.abs(centre - region_centre).max(axis=1) / half
    return result


def cut_by_region(boxes: Boxes, regions: Boxes, frame_shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """`(N,)` whether a box touches an edge of its region that is not the frame's edge.

    >>> cut_by_region(np.array([[0.0, 10, 40, 90], [300, 10, 320, 90]]), np.array([[0.0, 0, 320, 320]] * 2), (576, 768)).tolist()
    [False, True]
    """
    height, width = int(frame_shape[0]), int(frame_shape[1])
    near = np.abs(boxes - regions) <= EDGE_PIXELS
    inner = np.column_stack((regions[:, 0] > 0, regions[:, 1] > 0, regions[:, 2] < width, regions[:, 3] < height))
    result: npt.NDArray[np.bool_] = np.asarray((near & inner).any(axis=1), bool)
    return result


def duplicate_pairs(boxes: Boxes, regions: Boxes, labels: Sequence[str],
                    frame_shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """`(N, N)` symmetric: whether detections `i` and `j` (i != j) are the same object."""
    iou = pairwise_iou(boxes, boxes)
    top_left = np.maximum(boxes[:, None, :2], boxes[None, :, :2])
    bottom_right = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    overlap = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area = np.maximum((boxes[:, 2:] - boxes[:, :2]).prod(axis=1), 1.0)
    inside = overlap / area[:, None]  # [i, j]: share of box i inside box j
    cut = cut_by_region(boxes, regions, frame_shape)
    part = cut[:, None] & (inside > CUT_OVERLAP)
    label_array = np.array(labels, object)
    same = label_array[:, None] == label_array[None, :]
    pairs: npt.NDArray[np.bool_] = same & ((iou > DUPLICATE_IOU) | part | part.T)
    np.fill_diagonal(pairs, False)
    return pairs


def suppress_duplicates(detections: Sequence[Detection], frame_shape: tuple[int, ...]) -> list[Detection]:
    """This frame's detections from all its regions with each object's duplicates removed;
    kept detections stay in their input order. `frame_shape` is `(height, width)`."""
    if len(detections) < 2:
        return list(detections)
    boxes = np.array([d.box for d in detections], np.float64)
    regions = np.array([tuple(d.region) for d in detections], np.float64)
    pairs = duplicate_pairs(boxes, regions, [d.label for d in detections], frame_shape)
    if not pairs.any():
        return list(detections)
    scores = np.array([d.score for d in detections])
    order = np.lexsort((-scores, -centrality(boxes, regions)))  # most central first, then best score
    suppressed = np.zeros(len(detections), bool)
    for index in order:
        if not suppressed[index]:
            suppressed |= pairs[index]
    return [d for d, gone in zip(detections, suppressed) if not gone]
