"""Picking the most visually distinct images among candidates (wizard examples).

Greedy farthest-point selection (k-center): start from the most typical candidate (the
medoid: smallest mean distance to the others), so the scene's usual state is among the
examples, then repeatedly add the candidate whose nearest already-chosen image is
farthest away. (Starting from the most unusual one instead, the usual state — often one
tight cluster, e.g. an empty path — was left out of the picks entirely in bench/train.py.)
Two distances are offered:

- `hsv_histograms` + Bhattacharyya distance — what Frigate's example collector uses; it
  sees colour and brightness only, so it spreads picks over lighting changes;
- backbone embeddings, centred on the candidates' mean, + cosine distance — sees content
  (a person, an open door), which is what the classes differ in; centring removes what
  all candidates share (the fixed background of a state crop), so the differences count.
  `bench/train.py` compares the two.
"""

from __future__ import annotations

import cv2
import numpy as np

#: HSV histogram bins (hue, saturation, value); OpenCV hue runs 0..180.
HSV_BINS = (8, 4, 4)


def hsv_histograms(images: list[np.ndarray]) -> np.ndarray:
    """RGB uint8 images → (N, 8·4·4) HSV histograms, each summing to 1."""
    out = np.empty((len(images), int(np.prod(HSV_BINS))), np.float64)
    for i, image in enumerate(images):
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HSV_BINS), [0, 180, 0, 256, 0, 256]).ravel()
        out[i] = hist / max(float(hist.sum()), 1.0)
    return out


def bhattacharyya_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, B), (M, B) normalised histograms → (N, M) distances `sqrt(1 − Σ sqrt(p·q))` in [0, 1]
    (OpenCV's HISTCMP_BHATTACHARYYA for histograms that sum to 1)."""
    coefficient = np.sqrt(a) @ np.sqrt(b).T
    return np.sqrt(np.clip(1.0 - coefficient, 0.0, 1.0))  # type: ignore[no-any-return]


def cosine_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, D), (M, D) → (N, M) `1 − cos`, in [0, 2]."""
    a_n = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b_n = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return 1.0 - a_n @ b_n.T  # type: ignore[no-any-return]


def farthest_point_selection(distances: np.ndarray, count: int) -> list[int]:
    """Indices of `count` rows: the medoid, then greedily the row farthest from all picked.

    distances: (N, N) symmetric, zero diagonal. Deterministic (ties → lowest index).
    Returns all indices (in pick order) when N ≤ count.

    >>> farthest_point_selection(np.array([[0, 1, 5], [1, 0, 4], [5, 4, 0.]]), 2)
    [1, 2]
    """
    n = len(distances)
    if n == 0 or count <= 0:
        return []
    first = int(np.argmin(distances.mean(axis=1)))
    chosen = [first]
    nearest = distances[first].astype(np.float64).copy()
    nearest[first] = -np.inf
    while len(chosen) < min(count, n):
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, distances[pick])
        nearest[chosen] = -np.inf
    return chosen


def select_by_histogram(images: list[np.ndarray], count: int) -> list[int]:
    """Frigate's way: HSV histograms, Bhattacharyya distance, farthest-point."""
    histograms = hsv_histograms(images)
    return farthest_point_selection(bhattacharyya_distances(histograms, histograms), count)


def select_by_embedding(features: np.ndarray, count: int) -> list[int]:
    """Roost's default: backbone features (N, D) centred on their mean, cosine distance,
    farthest-point."""
    centred = features - features.mean(axis=0)
    return farthest_point_selection(cosine_distances(centred, centred), count)


def coverage_radius(selected: np.ndarray, candidates: np.ndarray, distance: str = "cosine") -> float:
    """Mean over candidates of the distance to the nearest selected item — how well a
    selection represents everything (lower is better). Vectors: (K, D) and (N, D)."""
    if distance == "cosine":
        matrix = cosine_distances(candidates, selected)
    else:
        matrix = bhattacharyya_distances(candidates, selected)
    return float(matrix.min(axis=1).mean())
