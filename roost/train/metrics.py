"""Held-out quality of a classifier without setting aside any of the user's few images.

Every labelled image is predicted exactly once by a head that never saw it (nor its
augmented views): leave-one-out for tiny datasets, stratified k-fold otherwise. From
those predictions: accuracy, balanced accuracy, per-class precision/recall and the
confusion matrix (rows = true class, columns = predicted), stored in metadata.json.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from roost.train.head import SoftmaxHead, train_head

logger = logging.getLogger(__name__)

#: Up to this many images, leave-one-out (each image its own fold) is affordable.
LEAVE_ONE_OUT_MAX_IMAGES = 40
DEFAULT_FOLDS = 5
#: A drop in held-out accuracy larger than this is reported as "worse than the previous model".
WORSE_TOLERANCE = 0.005
MISCLASSIFIED_LISTED = 50

HeadTrainer = Callable[[np.ndarray, np.ndarray, int], SoftmaxHead]


def stratified_folds(labels: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Fold index (0..folds-1) for each sample, each class spread evenly over the folds.

    Deterministic for a given seed. labels: (N,) ints.
    """
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=np.int64)
    offset = 0
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        rng.shuffle(members)
        assignment[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)  # rotate so small classes do not all start in fold 0
    return assignment


def choose_folds(labels: np.ndarray) -> tuple[str, int]:
    """("leave_one_out", N) for tiny sets, else ("stratified_k_fold", k ≤ smallest class)."""
    if len(labels) <= LEAVE_ONE_OUT_MAX_IMAGES:
        return "leave_one_out", len(labels)
    smallest = int(np.bincount(labels).min())
    return "stratified_k_fold", max(2, min(DEFAULT_FOLDS, smallest))


def cross_validated_predictions(features: np.ndarray, labels: np.ndarray, n_classes: int,
                                trainer: HeadTrainer = train_head) -> tuple[np.ndarray, str, int]:
    """Out-of-fold probabilities (N, C) for each image.

    features: (N, V, D) — V augmented views per image; training folds use all views,
    the held-out image is scored on view 0 (the untouched image) only.
    """
    method, folds = choose_folds(labels)
    fold_of = np.arange(len(labels)) if method == "leave_one_out" else stratified_folds(labels, folds)
    views = features.shape[1]
    out = np.zeros((len(labels), n_classes), np.float32)
    for fold in range(folds):
        test = fold_of == fold
        train = ~test
        head = trainer(features[train].reshape(-1, features.shape[2]), np.repeat(labels[train], views), n_classes)
        out[test] = head.probabilities(features[test, 0])
    return out, method, folds


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) counts; [i, j] = images of class i predicted as class j."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def summarize(true: np.ndarray, probabilities: np.ndarray, classes: list[str], method: str, folds: int,
              names: list[str] | None = None) -> dict[str, Any]:
    """The metrics block of metadata.json (plain JSON types); `names` (N,) labels the
    misclassified images (e.g. "<class>/<file>"), at most `MISCLASSIFIED_LISTED` of them."""
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(true, predicted, len(classes))
    per_class: dict[str, dict[str, float | int | None]] = {}
    recalls = []
    for i, name in enumerate(classes):
        support = int(matrix[i].sum())
        predicted_as = int(matrix[:, i].sum())
        recall = float(matrix[i, i] / support) if support else None
        per_class[name] = {
            "precision": float(matrix[i, i] / predicted_as) if predicted_as else None,
            "recall": recall,
            "support": support,
        }
        if recall is not None:
            recalls.append(recall)
    top = probabilities.max(axis=1)
    return {
        "method": method,
        "folds": folds,
        "images": int(len(true)),
        "accuracy": float((predicted == true).mean()) if len(true) else 0.0,
        "balanced_accuracy": float(np.mean(recalls)) if recalls else 0.0,
        "per_class": per_class,
        "confusion_matrix": {"classes": classes, "rows_true_columns_predicted": matrix.tolist()},
        "median_top_score": float(np.median(top)) if len(top) else 0.0,
        "misclassified": [
            {"image": names[i] if names else int(i), "true": classes[true[i]], "predicted": classes[predicted[i]],
             "score": round(float(top[i]), 4)}
            for i in np.flatnonzero(predicted != true)[:MISCLASSIFIED_LISTED]],
    }


def compare_with_previous(metrics: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """{"previous_accuracy", "accuracy", "worse", "message"}: what the UI/CLI shows after training.

    `previous` is the old model's metadata.json (or None). Both accuracies are held-out, so
    a drop means the new labels confused the model, or the new images are harder.
    """
    accuracy = float(metrics["accuracy"])
    old = None
    if previous:
        value = previous.get("metrics", {}).get("accuracy")
        old = float(value) if isinstance(value, int | float) else None
    if old is None:
        return {"previous_accuracy": None, "accuracy": accuracy, "worse": False,
                "message": f"held-out accuracy {accuracy:.1%} (first model)"}
    worse = accuracy < old - WORSE_TOLERANCE
    if worse:
        message = (f"held-out accuracy got worse: {accuracy:.1%} now, {old:.1%} before; check the newest "
                   "labels (misclassified images are listed in metadata.json)")
    else:
        message = f"held-out accuracy {accuracy:.1%} (previous model {old:.1%})"
    return {"previous_accuracy": old, "accuracy": accuracy, "worse": worse, "message": message}
