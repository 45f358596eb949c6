"""AP@0.5 per label (VOC all-point interpolation), the score a tune reports for the base and
the tuned model on the held-out frames. Boxes are `x1, y1, x2, y2` in image pixels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from roost.detect.regions import pairwise_iou

IOU_MATCH = 0.5

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Scored:
    """One image: its true `(label, box)` pairs and the model's `(label, score, box)` rows."""

    truth: Sequence[tuple[str, Box]]
    found: Sequence[tuple[str, float, Box]]


def average_precision(images: Iterable[Scored], label: str, iou_match: float = IOU_MATCH) -> float | None:
    """VOC all-point AP of `label`: detections of every image ranked by score, each matched
    greedily to the unmatched true box it overlaps most (IoU >= `iou_match`); None when no
    image has a true box of `label` (nothing to score against).

    >>> one = Scored([("person", (0, 0, 10, 20))], [("person", 0.9, (0, 0, 10, 19)), ("person", 0.8, (50, 50, 60, 60))])
    >>> average_precision([one], "person")
    1.0
    >>> average_precision([Scored([("person", (0, 0, 10, 20))], [("person", 0.9, (30, 0, 40, 20))])], "person")
    0.0
    >>> average_precision([one], "car") is None
    True
    """
    ranked: list[tuple[float, bool]] = []
    positives = 0
    for image in images:
        truth = np.array([b for lab, b in image.truth if lab == label], np.float64).reshape(-1, 4)
        positives += len(truth)
        rows = sorted((r for r in image.found if r[0] == label), key=lambda r: -r[1])
        boxes = np.array([r[2] for r in rows], np.float64).reshape(-1, 4)
        iou = pairwise_iou(boxes, truth) if len(truth) and len(boxes) else np.zeros((len(boxes), len(truth)))
        taken = np.zeros(len(truth), bool)
        for index, row in enumerate(rows):
            candidates = np.where(taken, -1.0, iou[index]) if len(truth) else np.zeros(0)
            best = int(np.argmax(candidates)) if len(candidates) else -1
            hit = best >= 0 and candidates[best] >= iou_match
            if hit:
                taken[best] = True
            ranked.append((row[1], hit))
    if positives == 0:
        return None
    ranked.sort(key=lambda r: -r[0])
    hits = np.array([r[1] for r in ranked], bool)
    tp, fp = np.cumsum(hits), np.cumsum(~hits)
    recall = np.concatenate(([0.0], tp / positives, [1.0]))
    precision = np.concatenate(([0.0], tp / np.maximum(tp + fp, 1), [0.0]))
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.where(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def ap_per_label(images: Sequence[Scored], labels: Iterable[str]) -> dict[str, float | None]:
    """`{label: AP@0.5}` for each label (None where the images hold none of it)."""
    return {label: average_precision(images, label) for label in labels}


def mean_ap(aps: Mapping[str, float | None]) -> float | None:
    """Mean over the labels that could be scored (None when none could)."""
    values = [v for v in aps.values() if v is not None]
    return float(np.mean(values)) if values else None
