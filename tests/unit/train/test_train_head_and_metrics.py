"""The softmax head and the held-out metrics, on synthetic features with known structure."""

from __future__ import annotations

import numpy as np
import pytest

from roost.train.head import balanced_sample_weights, softmax, train_head
from roost.train.metrics import compare_with_previous, confusion_matrix, cross_validated_predictions, summarize


def clusters(counts: list[int], dim: int = 32, spread: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative features (like ReLU6 outputs) around one centre per class."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 3, (len(counts), dim))
    x = np.concatenate([centres[c] + rng.normal(0, spread, (n, dim)) for c, n in enumerate(counts)])
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    return np.clip(x, 0, None).astype(np.float32), y


def test_head_separates_clusters_and_is_confident() -> None:
    x, y = clusters([30, 30, 30])
    head = train_head(x, y, 3)
    p = head.probabilities(x)
    assert (p.argmax(1) == y).mean() == 1.0
    assert np.median(p.max(1)) > 0.9
    assert np.allclose(p.sum(1), 1.0, atol=1e-5)


def test_head_folds_standardisation_into_raw_feature_weights() -> None:
    x, y = clusters([10, 10], dim=8)
    head = train_head(x * 50 + 7, y, 2)  # raw scale far from standardised
    assert head.weight.shape == (8, 2) and head.bias.shape == (2,)
    assert (head.probabilities(x * 50 + 7).argmax(1) == y).all()


def test_balanced_weights_give_each_class_equal_total_weight() -> None:
    labels = np.array([0] * 9 + [1] * 3)
    weights = balanced_sample_weights(labels, 2)
    assert weights[labels == 0].sum() == pytest.approx(weights[labels == 1].sum())
    assert weights.mean() == pytest.approx(1.0)


def test_class_balancing_keeps_a_rare_class_recognised() -> None:
    x, y = clusters([60, 4], dim=16, spread=0.9, seed=3)
    head = train_head(x, y, 2)
    assert (head.probabilities(x[y == 1]).argmax(1) == 1).all()


def test_softmax_is_stable_for_large_logits() -> None:
    p = softmax(np.array([[1000.0, 0.0], [0.0, 0.0]]))
    assert np.isfinite(p).all() and p[0, 0] == pytest.approx(1.0) and p[1, 0] == pytest.approx(0.5)


def test_cross_validation_predicts_every_image_from_a_head_that_never_saw_it() -> None:
    x, y = clusters([5, 5])
    views = np.stack([x, x + 0.01, x - 0.01], axis=1)  # (N, V, D)
    seen: list[int] = []

    def trainer(features: np.ndarray, labels: np.ndarray, n: int):  # type: ignore[no-untyped-def]
        seen.append(len(features))
        return train_head(features, labels, n)

    probabilities, method, folds = cross_validated_predictions(views, y, 2, np.arange(10), trainer)
    assert method == "leave_one_group_out" and folds == 10
    assert seen == [9 * 3] * 10  # each fold trains on the other 9 images' 3 views
    assert (probabilities.argmax(1) == y).all()


def test_confusion_matrix_rows_are_true_columns_predicted() -> None:
    m = confusion_matrix(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2)
    assert m.tolist() == [[1, 1], [0, 2]]


def test_summary_reports_per_class_precision_recall_and_names_mistakes() -> None:
    probabilities = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    summary = summarize(np.array([0, 0, 1, 1]), probabilities, ["closed", "open"], "leave_one_out", 4,
                        ["closed/a.png", "closed/b.png", "open/c.png", "open/d.png"])
    assert summary["accuracy"] == 0.75
    assert summary["per_class"]["closed"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert summary["per_class"]["open"]["precision"] == pytest.approx(2 / 3)
    assert summary["misclassified"] == [{"image": "closed/b.png", "true": "closed", "predicted": "open", "score": 0.6}]


@pytest.mark.parametrize(("previous", "now", "worse"), [(None, 0.9, False), (0.95, 0.9, True), (0.9, 0.9, False),
                                                         (0.9, 0.97, False)])
def test_comparison_says_when_the_new_model_is_worse(previous: float | None, now: float, worse: bool) -> None:
    old = {"metrics": {"accuracy": previous}} if previous is not None else None
    result = compare_with_previous({"accuracy": now}, old)
    assert result["worse"] is worse
    assert ("worse" in result["message"]) is worse
