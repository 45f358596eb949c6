"""Held-out quality of a classifier without setting aside any of the user's few images,
measured the way the model will be used: on footage it has not seen.

Every labelled image is predicted exactly once by a head that never saw it, nor any image
of its group (`roost.train.groups`: its event, its minute, its near-duplicates): leave one
group out for up to `MAX_FOLDS` groups, grouped k-fold beyond. From those predictions:
accuracy, balanced accuracy, per-class precision/recall and the confusion matrix (rows =
true class, columns = predicted), stored in metadata.json, plus how far the figure can be
trusted: how many independent groups it rests on, a 95 % interval, and a plain verdict
("based on 4 events: not enough to tell").

The interval is Wilson's for a proportion with the *effective* number of independent
observations: Kish's `(Σ n_g)² / Σ n_g²` over group sizes, i.e. images of one group are
counted as if they were one (a whole event is usually right or wrong together).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from roost.train.groups import KIND_EVENT, KIND_MINUTE, KIND_SIMILAR, Groups, grouped_folds
from roost.train.head import SoftmaxHead, train_head

logger = logging.getLogger(__name__)

#: Up to this many groups each is its own fold; beyond, groups are dealt into this many folds.
MAX_FOLDS = 10
#: A drop in held-out accuracy larger than this is reported as "worse than the previous model".
WORSE_TOLERANCE = 0.005
MISCLASSIFIED_LISTED = 50
#: The figure is called trustworthy from this many groups per class and in total.
MIN_GROUPS_PER_CLASS = 3
MIN_GROUPS = 8
WILSON_Z = 1.96
METHOD_NONE = "none"
METHOD_LEAVE_ONE_GROUP_OUT = "leave_one_group_out"
METHOD_GROUPED_K_FOLD = "grouped_k_fold"
GROUP_NOUNS = {KIND_EVENT: ("event", "events"), KIND_MINUTE: ("separate minute", "separate minutes"),
               KIND_SIMILAR: ("distinct scene", "distinct scenes")}

HeadTrainer = Callable[[np.ndarray, np.ndarray, int], SoftmaxHead]


def cross_validated_predictions(features: np.ndarray, labels: np.ndarray, n_classes: int, groups: np.ndarray,
                                trainer: HeadTrainer = train_head) -> tuple[np.ndarray, str, int]:
    """Out-of-group probabilities (N, C) for each image, the method and the fold count.

    features: (N, V, D) — V augmented views per image; training folds use all views,
    the held-out image is scored on view 0 (the untouched image) only. groups: (N,) ints.
    With a single group nothing can be held out: method "none", 0 folds, probabilities NaN.
    """
    out = np.full((len(labels), n_classes), np.nan, np.float32)
    if len(labels) == 0 or int(groups.max()) == 0:
        return out, METHOD_NONE, 0
    fold_of = grouped_folds(labels, groups, MAX_FOLDS)
    folds = int(fold_of.max()) + 1
    method = METHOD_LEAVE_ONE_GROUP_OUT if folds == int(groups.max()) + 1 else METHOD_GROUPED_K_FOLD
    views = features.shape[1]
    for fold in range(folds):
        test = fold_of == fold
        train = ~test
        head = trainer(features[train].reshape(-1, features.shape[2]), np.repeat(labels[train], views), n_classes)
        out[test] = head.probabilities(features[test, 0])
    return out, method, folds


def wilson_interval(accuracy: float, n: float, z: float = WILSON_Z) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion observed on `n` (possibly fractional) trials.

    >>> [round(v, 3) for v in wilson_interval(1.0, 4)]
    [0.51, 1.0]
    """
    if n <= 0:
        return 0.0, 1.0
    denominator = 1 + z * z / n
    centre = (accuracy + z * z / (2 * n)) / denominator
    half = z * math.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def effective_groups(groups: np.ndarray) -> float:
    """Kish's effective sample size over group sizes: equals the group count for equal groups."""
    sizes = np.bincount(groups).astype(np.float64)
    sizes = sizes[sizes > 0]
    return float(sizes.sum() ** 2 / (sizes * sizes).sum()) if len(sizes) else 0.0


def _noun(kinds: list[str], count: int) -> str:
    distinct = set(kinds)
    if len(distinct) == 1:
        singular, plural = GROUP_NOUNS[distinct.pop()]
    else:
        singular, plural = "independent group", "independent groups"
    return singular if count == 1 else plural


def trust(true: np.ndarray, predicted_ok: np.ndarray | None, classes: list[str], groups: Groups) -> dict[str, Any]:
    """The block that says how far the held-out figure can be trusted (see module doc)."""
    per_class = {name: int(len(np.unique(groups.index[true == i]))) for i, name in enumerate(classes)}
    n_eff = effective_groups(groups.index)
    weakest = min(per_class, key=lambda c: (per_class[c], c)) if per_class else None
    enough = (predicted_ok is not None and groups.count >= MIN_GROUPS
              and all(n >= MIN_GROUPS_PER_CLASS for n in per_class.values()))
    noun = _noun(groups.kinds, groups.count)
    if predicted_ok is None:
        interval = None
        verdict = f"based on {groups.count} {noun}: nothing can be held out, not enough to tell"
    else:
        accuracy = float(predicted_ok.mean())
        low, high = wilson_interval(accuracy, n_eff)
        interval = {"low": round(low, 4), "high": round(high, 4)}
        verdict = (f"expected accuracy on new footage {accuracy:.0%} (95 % range {low:.0%}–{high:.0%}), "
                   f"based on {groups.count} {noun}")
        if not enough:
            verdict = f"based on {groups.count} {noun}: not enough to tell ({accuracy:.0%}, range {low:.0%}–{high:.0%})"
    if weakest is not None and per_class[weakest] < MIN_GROUPS_PER_CLASS:
        verdict += (f"; '{weakest}' comes from {per_class[weakest]} {_noun(groups.kinds, per_class[weakest])}"
                    f", label images of it from more {GROUP_NOUNS.get(groups.kinds[0], ('', 'occasions'))[1]}"
                    if groups.kinds else "")
    kinds = {kind: groups.kinds.count(kind) for kind in sorted(set(groups.kinds))}
    return {"groups": groups.count, "group_kinds": kinds, "groups_per_class": per_class,
            "effective_groups": round(n_eff, 2), "interval": interval, "enough": enough, "verdict": verdict}


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) counts; [i, j] = images of class i predicted as class j."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def summarize(true: np.ndarray, probabilities: np.ndarray, classes: list[str], method: str, folds: int,
              names: list[str] | None = None, groups: Groups | None = None) -> dict[str, Any]:
    """The metrics block of metadata.json (plain JSON types); `names` (N,) labels the
    misclassified images (e.g. "<class>/<file>"), at most `MISCLASSIFIED_LISTED` of them.
    `groups` (default: every image independent) gives the trust block. With method "none"
    (nothing could be held out) `accuracy` and `balanced_accuracy` are None."""
    if groups is None:
        groups = Groups(np.arange(len(true)), [KIND_SIMILAR] * len(true))
    if method == METHOD_NONE:
        return {"method": method, "folds": 0, "images": int(len(true)), "accuracy": None, "balanced_accuracy": None,
                "per_class": {}, "confusion_matrix": {"classes": classes, "rows_true_columns_predicted": None},
                "median_top_score": None, "misclassified": [], **trust(true, None, classes, groups)}
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
        **trust(true, predicted == true, classes, groups),
    }


def compare_with_previous(metrics: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """{"previous_accuracy", "accuracy", "worse", "message"}: what the UI/CLI shows after training.

    `previous` is the old model's metadata.json (or None). Both accuracies are held-out, so
    a drop means the new labels confused the model, or the new images are harder.
    """
    if metrics.get("accuracy") is None:
        return {"previous_accuracy": None, "accuracy": None, "worse": False,
                "message": f"no held-out figure: {metrics.get('verdict', 'nothing could be held out')}"}
    accuracy = float(metrics["accuracy"])
    old = None
    if previous:
        value = previous.get("metrics", {}).get("accuracy")
        old = float(value) if isinstance(value, int | float) else None
    if old is None:
        return {"previous_accuracy": None, "accuracy": accuracy, "worse": False,
                "message": f"held-out accuracy {accuracy:.1%} (first model); {metrics.get('verdict', '')}"}
    worse = accuracy < old - WORSE_TOLERANCE
    if worse:
        message = (f"held-out accuracy got worse: {accuracy:.1%} now, {old:.1%} before; check the newest "
                   "labels (misclassified images are listed in metadata.json)")
    else:
        message = f"held-out accuracy {accuracy:.1%} (previous model {old:.1%}); {metrics.get('verdict', '')}"
    return {"previous_accuracy": old, "accuracy": accuracy, "worse": worse, "message": message}
