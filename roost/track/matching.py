"""Matching this frame's detections to tracked objects.

Cost of pairing track `t` (its box predicted for this frame) with detection `d`:
`(1 - IoU) + distance / size`, where `distance` is between box centres and `size` is the
predicted box's longer side. Pairs are allowed only for the same label and when the boxes
overlap or the centres are within `max_distance[t]` sizes. Pairs are then taken cheapest
first (greedy assignment), each track and detection at most once: with the motion model's
predictions, the cheapest pair is almost always right, and greedy needs no SciPy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from roost.detect.regions import pairwise_iou

#: A detection further than this many box sizes from a prediction cannot be that object.
MAX_MATCH_DISTANCE = 1.0

FloatArray = npt.NDArray[np.float64]


def centres(boxes: FloatArray) -> FloatArray:
    """`(N, 2)` centres of boxes `(N, 4)`."""
    return (boxes[:, :2] + boxes[:, 2:]) / 2


def match_costs(predicted: FloatArray, detected: FloatArray, track_labels: Sequence[str],
                detection_labels: Sequence[str], max_distance: FloatArray) -> FloatArray:
    """`(T, D)` pairing costs of predicted boxes `(T, 4)` with detected boxes `(D, 4)`;
    `inf` where the pair is not allowed. `max_distance` `(T,)` is in box sizes.

    >>> match_costs(np.array([[0.0, 0, 10, 10]]), np.array([[2.0, 0, 12, 10], [50.0, 0, 60, 10]]),
    ...             ["person"], ["person", "person"], np.array([1.0])).round(3).tolist()
    [[0.533, inf]]
    """
    iou = pairwise_iou(predicted, detected)
    size = np.maximum((predicted[:, 2:] - predicted[:, :2]).max(axis=1), 1.0)
    distance = np.linalg.norm(centres(predicted)[:, None, :] - centres(detected)[None, :, :], axis=2)
    relative = distance / size[:, None]
    same_label = np.array(track_labels, object)[:, None] == np.array(detection_labels, object)[None, :]
    allowed = same_label.reshape(len(predicted), len(detected)) & (
        (iou > 0) | (relative <= max_distance[:, None]))
    return np.where(allowed, (1.0 - iou) + relative, np.inf)


def greedy_assignment(costs: FloatArray) -> list[tuple[int, int]]:
    """`(row, column)` pairs taken cheapest first from `costs` `(T, D)`, each row and column
    at most once, never an `inf` pair.

    >>> greedy_assignment(np.array([[1.0, 0.2], [0.1, np.inf]]))
    [(1, 0), (0, 1)]
    """
    if costs.size == 0:
        return []
    order = np.argsort(costs, axis=None, kind="stable")
    rows, columns = np.unravel_index(order, costs.shape)
    finite = np.isfinite(costs[rows, columns])
    taken_rows: set[int] = set()
    taken_columns: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for row, column in zip(rows[finite].tolist(), columns[finite].tolist()):
        if row not in taken_rows and column not in taken_columns:
            taken_rows.add(row)
            taken_columns.add(column)
            pairs.append((row, column))
    return pairs
