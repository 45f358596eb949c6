"""Object filters: which detections the tracker may use (Frigate's `objects:` rules).

A detection is kept when its label is in `objects.track` and it passes the label's filter:
`min_area <= area <= max_area`, `min_ratio <= ratio <= max_ratio` (width / height),
`score >= min_score`, and its bottom centre is in none of the object masks (`objects.mask`
for every label, `objects.filters.<label>.mask` for that label). `threshold` is not applied
here: it is for the object's computed score (`roost.track.score_history`).

Levels: the global `objects:` section is merged into each camera's by the config loader
(key by key, camera wins), so the camera's `ObjectsConfig` passed here is already global →
camera; zone filters come after, in `roost.track.zones`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from roost.config.objects import FilterConfig, ObjectsConfig
from roost.detect.detection import Detection
from roost.track.zones import Polygon, bottom_centres, points_in_polygons

logger = logging.getLogger(__name__)


def _limits(filters: Sequence[FilterConfig]) -> npt.NDArray[np.float64]:
    """`(N, 5)`: min_area, max_area, min_ratio, max_ratio, min_score of each filter."""
    return np.array([(f.min_area, f.max_area, f.min_ratio, f.max_ratio, f.min_score) for f in filters],
                    np.float64).reshape(-1, 5)


def _masked(boxes: npt.NDArray[np.float64], labels: Sequence[str], objects: ObjectsConfig) -> npt.NDArray[np.bool_]:
    """`(N,)`: whether each box's bottom centre is in a mask that applies to its label."""
    polygons: list[Polygon] = list(objects.mask)
    owner: list[str | None] = [None] * len(polygons)  # None: applies to every label
    for label in sorted(set(labels)):
        label_masks = objects.filter_for(label).mask
        polygons += label_masks
        owner += [label] * len(label_masks)
    if not polygons:
        return np.zeros(len(labels), bool)
    inside = points_in_polygons(bottom_centres(boxes), polygons)  # (N, P)
    applies = np.array([[who is None or who == label for who in owner] for label in labels], bool)
    result: npt.NDArray[np.bool_] = (inside & applies).any(axis=1)
    return result


def kept_detections(detections: Sequence[Detection], objects: ObjectsConfig) -> npt.NDArray[np.bool_]:
    """`(N,)`: whether each detection passes the camera's object filters (module doc)."""
    if not detections:
        return np.zeros(0, bool)
    labels = [d.label for d in detections]
    tracked = np.array([label in objects.track for label in labels], bool)
    limits = _limits([objects.filter_for(label) for label in labels])
    area = np.array([d.area for d in detections], np.float64)
    ratio = np.array([d.ratio for d in detections], np.float64)
    score = np.array([d.score for d in detections], np.float64)
    boxes = np.array([d.box for d in detections], np.float64)
    keep = (tracked
            & (area >= limits[:, 0]) & (area <= limits[:, 1])
            & (ratio >= limits[:, 2]) & (ratio <= limits[:, 3])
            & (score >= limits[:, 4]))
    result: npt.NDArray[np.bool_] = keep & ~_masked(boxes, labels, objects)
    return result


def filter_detections(detections: Sequence[Detection], objects: ObjectsConfig) -> list[Detection]:
    """The detections that pass the camera's object filters, in their original order."""
    keep = kept_detections(detections, objects)
    if logger.isEnabledFor(logging.DEBUG):
        for detection, kept in zip(detections, keep):
            if not kept:
                logger.debug("filtered out %s %.2f at %s", detection.label, detection.score, detection.box)
    return [d for d, kept in zip(detections, keep) if kept]
