"""Grouped validation: neighbouring frames of one event (or one minute) never sit on both
sides of a fold, so the reported figure cannot come from memorising them."""

from __future__ import annotations

import numpy as np
import pytest

from roost.train.groups import (
    KIND_EVENT, KIND_MINUTE, KIND_SIMILAR, Origin, group_images, grouped_folds, origin_of, similar_clusters,
)
from roost.train.metrics import (
    MIN_GROUPS, cross_validated_predictions, effective_groups, summarize, wilson_interval,
)

EVENT_A = "1700000000.100000-abc123"
EVENT_B = "1700000100.200000-zz9x8w"


@pytest.mark.parametrize(("stem", "origin"), [
    (f"{EVENT_A}-1700000001.500000-jeans-0.93", Origin(EVENT_A, 1700000001.5)),
    (f"{EVENT_B}-1700000101.000000-two words-none", Origin(EVENT_B, 1700000101.0)),
    ("none-none-1700000060.250000-open-1.00", Origin(None, 1700000060.25)),
    ("example_007", Origin(None, None)),
    ("upload-holiday-photo", Origin(None, None)),
])
def test_origin_is_read_from_attempt_file_names(stem: str, origin: Origin) -> None:
    assert origin_of(stem) == origin


def frames_of(event: str, count: int, start: float) -> list[str]:
    return [f"{event}-{start + i * 0.5:.6f}-cls-0.90" for i in range(count)]


def event_features(centres: np.ndarray, per_event: int, noise: float, seed: int = 0) -> np.ndarray:
    """Near-duplicate frames: each event's frames scatter tightly around the event's centre."""
    rng = np.random.default_rng(seed)
    return np.concatenate([c + rng.normal(0, noise, (per_event, len(c))) for c in centres]).astype(np.float32)


def test_object_images_group_by_event_and_state_images_by_minute() -> None:
    stems = frames_of(EVENT_A, 3, 1700000001.0) + frames_of(EVENT_B, 2, 1700000101.0)
    groups = group_images(stems, np.eye(5, dtype=np.float32), object_model=True)
    assert groups.index.tolist() == [0, 0, 0, 1, 1] and groups.kinds == [KIND_EVENT, KIND_EVENT]
    minutes = [f"none-none-{t:.6f}-open-0.90" for t in (1700000400.0, 1700000459.9, 1700000460.0, 1700000600.0)]
    state = group_images(minutes, np.eye(4, dtype=np.float32), object_model=False)
    assert state.index.tolist() == [0, 0, 1, 2] and set(state.kinds) == {KIND_MINUTE}


def test_unknown_images_join_what_they_nearly_duplicate() -> None:
    base = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)
    features = np.concatenate([base, base + [[0.02, 0.01, 0, 0]], [[0, 0, 1, 0]], [[0, 0, 1, 0.05]]])
    stems = frames_of(EVENT_A, 1, 1.0) + frames_of(EVENT_B, 1, 2.0) + ["example_000", "example_001", "up_1", "up_2"]
    groups = group_images(stems, features, object_model=True)
    assert groups.index.tolist() == [0, 1, 0, 1, 2, 2]  # copies join their event; two uploads pair up
    assert groups.kinds == [KIND_EVENT, KIND_EVENT, KIND_SIMILAR]
    # In a state model likeness is the class itself: unknown images stay independent.
    state = group_images(["example_000", "example_001", "example_002"], features[[0, 2, 2]], object_model=False)
    assert state.index.tolist() == [0, 1, 2]


def test_grouped_folds_never_split_a_group_and_spread_classes() -> None:
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(30), rng.integers(1, 8, 30))
    labels = (groups % 3).astype(np.int64)
    folds = grouped_folds(labels, groups, max_folds=5)
    for g in np.unique(groups):
        assert len(set(folds[groups == g])) == 1
    for c in range(3):
        assert set(folds[labels == c]) == set(range(5))
    assert grouped_folds(labels, groups, max_folds=40).tolist() == groups.tolist()  # leave one group out


def test_near_duplicates_from_two_events_cannot_report_100_percent() -> None:
    """Class 'a' is event A's frames, class 'b' event B's: every frame has a near-twin, so
    holding out single frames reads 100 %. Held out by event, nothing is left to learn the
    held-out class from, and the figure must say it cannot tell."""
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 3, (2, 16))
    x = event_features(centres, 20, 0.05)
    y = np.repeat([0, 1], 20)
    views = x[:, None, :]
    per_frame, _, _ = cross_validated_predictions(views, y, 2, np.arange(40))
    assert (per_frame.argmax(1) == y).mean() == 1.0  # what the old validation reported
    stems = frames_of(EVENT_A, 20, 1700000001.0) + frames_of(EVENT_B, 20, 1700000101.0)
    groups = group_images(stems, x, object_model=True)
    probabilities, method, folds = cross_validated_predictions(views, y, 2, groups.index)
    summary = summarize(y, probabilities, ["a", "b"], method, folds, groups=groups)
    assert method == "leave_one_group_out" and folds == 2
    assert summary["accuracy"] < 1.0
    assert summary["groups"] == 2 and summary["groups_per_class"] == {"a": 1, "b": 1}
    assert summary["enough"] is False and "based on 2 events: not enough to tell" in summary["verdict"]
    assert summary["interval"]["low"] < 0.5


def test_event_identity_is_not_mistaken_for_the_class() -> None:
    """Four events per class whose frames cluster by event while the class signal is weak:
    per-frame validation finds the twins (near 100 %); grouped validation reports what a
    new event would get, near chance, and the interval says how unsure that is."""
    rng = np.random.default_rng(3)
    centres = rng.uniform(0, 3, (8, 32))
    centres[:4, 0] += 0.05  # a faint class signal
    x = event_features(centres, 12, 0.05, seed=4)
    y = np.repeat([0, 0, 0, 0, 1, 1, 1, 1], 12)
    events = [f"17000000{i:02d}.000000-ev{i:04d}" for i in range(8)]
    stems = [s for i, e in enumerate(events) for s in frames_of(e, 12, 1700000000.0 + i * 100)]
    per_frame, _, _ = cross_validated_predictions(x[:, None], y, 2, np.arange(len(y)))
    groups = group_images(stems, x, object_model=True)
    probabilities, method, folds = cross_validated_predictions(x[:, None], y, 2, groups.index)
    summary = summarize(y, probabilities, ["a", "b"], method, folds, groups=groups)
    assert (per_frame.argmax(1) == y).mean() > 0.95
    assert summary["accuracy"] <= 0.75
    assert summary["groups"] == 8 and summary["effective_groups"] == pytest.approx(8.0)
    assert summary["interval"]["high"] - summary["interval"]["low"] > 0.4


def test_one_group_reports_no_figure() -> None:
    x = event_features(np.ones((1, 8)), 6, 0.1)
    y = np.array([0, 0, 0, 1, 1, 1])
    groups = group_images(frames_of(EVENT_A, 6, 1.0), x, object_model=True)
    probabilities, method, folds = cross_validated_predictions(x[:, None], y, 2, groups.index)
    summary = summarize(y, probabilities, ["a", "b"], method, folds, groups=groups)
    assert (method, folds, summary["accuracy"]) == ("none", 0, None)
    assert "not enough to tell" in summary["verdict"]


def test_many_events_per_class_make_a_figure_worth_trusting() -> None:
    rng = np.random.default_rng(5)
    class_centres = rng.uniform(0, 3, (2, 16))
    centres = np.concatenate([class_centres[c] + rng.normal(0, 0.3, (8, 16)) for c in (0, 1)])
    x = event_features(centres, 5, 0.05, seed=6)
    y = np.repeat(np.arange(2), 40)
    stems = [s for i in range(16) for s in frames_of(f"17000001{i:02d}.000000-ev{i:04d}", 5, 1.0 + i)]
    groups = group_images(stems, x, object_model=True)
    probabilities, method, folds = cross_validated_predictions(x[:, None], y, 2, groups.index)
    summary = summarize(y, probabilities, ["a", "b"], method, folds, groups=groups)
    assert summary["groups"] == 16 >= MIN_GROUPS and summary["enough"] is True
    assert summary["accuracy"] > 0.9 and summary["verdict"].startswith("expected accuracy on new footage")
    assert "based on 16 events" in summary["verdict"]


def test_wilson_interval_and_effective_group_count() -> None:
    low, high = wilson_interval(0.9, 100)
    assert low == pytest.approx(0.826, abs=1e-3) and high == pytest.approx(0.945, abs=1e-3)
    assert wilson_interval(0.5, 0) == (0.0, 1.0)
    assert effective_groups(np.array([0, 0, 1, 1, 2, 2])) == pytest.approx(3.0)
    assert effective_groups(np.array([0] * 9 + [1])) == pytest.approx(100 / 82)


def test_similar_clusters_chain_near_duplicates_and_keep_others_apart() -> None:
    features = np.array([[1, 0, 0], [0.97, 0.1, 0], [0.9, 0.3, 0], [0, 0, 1], [0, 1, 0]], np.float32)
    assert similar_clusters(features, 0.95).tolist() == [0, 0, 0, 1, 2]  # 0~1~2 chained, 0 and 2 are 0.95 apart
    assert similar_clusters(features, 0.999).tolist() == [0, 1, 2, 3, 4]
    assert similar_clusters(np.zeros((0, 3), np.float32), 0.9).tolist() == []
