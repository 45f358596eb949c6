"""Scoring a detection model on annotated frames: each frame is seen whole, padded to a
square (bottom/right, grey) and resized to the model, as one big region — the same view for
the base and the tuned model, so their AP@0.5 compare. Runs in the server's venv (ONNX
Runtime), in the tune's finishing child or a benchmark, never in the torch child."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from roost.config.services import DetectorConfig, ModelConfig
from roost.detect.onnx_detector import OnnxDetector
from roost.tune.average_precision import Box, Scored, ap_per_label

#: Detections from this score on are ranked for AP (lower than the pipeline's 0.3, so the
#: precision/recall curve reaches further).
AP_THRESHOLD = 0.1
PAD_VALUE = 114

RGB = npt.NDArray[np.uint8]


def load_rgb(path: Path) -> RGB:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), np.uint8)


def square_view(rgb: RGB, size: int) -> tuple[RGB, float]:
    """The frame padded to a square and resized to `size`; and frame pixels per view pixel."""
    side = max(rgb.shape[:2])
    canvas = np.full((side, side, 3), PAD_VALUE, np.uint8)
    canvas[:rgb.shape[0], :rgb.shape[1]] = rgb
    return np.asarray(cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA), np.uint8), side / size


def detector_for(model_path: Path, size: int, model_cache: Path, threads: int = 1) -> OnnxDetector:
    """A Roost-made model by its path alone (type, input and labels from the model itself)."""
    return OnnxDetector(ModelConfig(path=str(model_path), width=size, height=size),
                        DetectorConfig(num_threads=threads), model_cache)


def detections(detector: OnnxDetector, rgb: RGB) -> list[tuple[str, float, Box]]:
    """`(label, score, box)` rows in frame pixels."""
    view, scale = square_view(rgb, detector.model_size)
    rows = detector.detect(view, AP_THRESHOLD)
    side = detector.model_size * scale
    found = []
    for class_id, score, x1, y1, x2, y2 in rows.tolist():
        index = int(class_id)
        label = detector.labels[index] if index < len(detector.labels) else str(index)
        found.append((label, float(score), (x1 * side, y1 * side, x2 * side, y2 * side)))
    return found


def score_model(detector: OnnxDetector, frames: Iterable[tuple[RGB, Sequence[tuple[str, Box]]]],
                labels: Iterable[str]) -> dict[str, float | None]:
    """AP@0.5 per label of `detector` on `(rgb, true (label, box) pairs)` frames."""
    scored = [Scored(list(truth), detections(detector, rgb)) for rgb, truth in frames]
    return ap_per_label(scored, labels)
