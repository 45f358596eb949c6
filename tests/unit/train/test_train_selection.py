"""Distinct-example selection, balanced sampling and crops, suggestions ranking (pure logic)."""

from __future__ import annotations

import numpy as np
import pytest

from roost.train.distinct import (
    bhattacharyya_distances,
    farthest_point_selection,
    hsv_histograms,
    select_by_embedding,
    select_by_histogram,
)
from roost.train.examples import (
    EventSample,
    ReviewSpan,
    crop_box,
    sample_events,
    sample_review_timestamps,
    square_object_box,
)
from roost.train.suggestions import rank_attempts


def test_farthest_point_picks_one_from_each_cluster_before_repeating() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(4) * 10
    points = np.concatenate([c + rng.normal(0, 0.1, (10, 4)) for c in centres])
    picked = select_by_embedding(points + 1, 4)  # shift: cosine needs non-collinear vectors
    assert sorted(i // 10 for i in picked) == [0, 1, 2, 3]


def test_farthest_point_returns_everything_when_there_are_few_candidates() -> None:
    d = np.array([[0, 1.0], [1.0, 0]])
    assert sorted(farthest_point_selection(d, 5)) == [0, 1]
    assert farthest_point_selection(np.zeros((0, 0)), 3) == []


def test_bhattacharyya_is_zero_for_same_and_one_for_disjoint_histograms() -> None:
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255
    blue = np.zeros((8, 8, 3), np.uint8)
    blue[..., 2] = 255
    h = hsv_histograms([red, blue])
    d = bhattacharyya_distances(h, h)
    assert d[0, 0] == pytest.approx(0, abs=1e-6) and d[0, 1] == pytest.approx(1.0)


def test_histogram_selection_spreads_over_colours() -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    images = [np.full((8, 8, 3), c, np.uint8) for c in colours for _ in range(5)]
    assert sorted(i // 5 for i in select_by_histogram(images, 3)) == [0, 1, 2]


def test_review_timestamps_are_balanced_across_cameras_and_six_hour_blocks() -> None:
    spans = [ReviewSpan("busy", t, t + 10) for t in range(0, 3600, 60)]           # 60 in one block
    spans += [ReviewSpan("busy", 7 * 3600 + t, 7 * 3600 + t + 10) for t in (0, 60)]  # 2 in another
    spans += [ReviewSpan("quiet", 100, 120)]
    picked = sample_review_timestamps(spans, 6)
    assert len(picked) == 6
    assert ("quiet", 110.0) in picked
    assert sum(1 for cam, t in picked if cam == "busy" and t > 7 * 3600) == 2


def test_events_are_sampled_best_score_first_within_each_bucket() -> None:
    events = [EventSample(f"e{i}", "cam", 1000 + i, score, __import__("pathlib").Path("x.jpg"), (0, 0, 1, 1))
              for i, score in enumerate([0.5, 0.9, 0.7])]
    assert [e.event_id for e in sample_events(events, 2)] == ["e1", "e2"]


@pytest.mark.parametrize(("box", "expected_side"), [((100, 100, 120, 140), 44), ((0, 0, 300, 200), 390)])
def test_object_crops_are_square_and_tighter_for_small_boxes(box: tuple[int, int, int, int],
                                                            expected_side: int) -> None:
    x1, y1, x2, y2 = square_object_box(box, 640, 480)
    assert x2 - x1 == y2 - y1 == expected_side
    assert 0 <= x1 and 0 <= y1 and x2 <= 640 and y2 <= 480


def test_crop_box_clamps_and_rejects_empty_boxes() -> None:
    frame = np.zeros((10, 10, 3), np.uint8)
    assert crop_box(frame, (-5, -5, 4, 3)).shape == (3, 4, 3)  # type: ignore[union-attr]
    assert crop_box(frame, (8, 8, 8, 9)) is None


def test_suggestions_put_uncertain_new_images_first_and_near_duplicates_last() -> None:
    dataset = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    features = np.array([[1.0, 0.01, 0], [0.3, 0.3, 1.0], [0.7, 0.7, 0]])
    probabilities = np.array([[0.99, 0.01], [0.51, 0.49], [0.6, 0.4]])
    ranked = rank_attempts(probabilities, features, dataset, ["a", "b"], ["dup.webp", "new.webp", "mid.webp"],
                           ["a/1.png", "b/1.png"])
    assert [s.file for s in ranked] == ["new.webp", "mid.webp", "dup.webp"]
    assert ranked[-1].near_duplicate and ranked[-1].nearest_dataset_image == "a/1.png"
    assert not ranked[0].near_duplicate and ranked[0].margin == pytest.approx(0.02)
    assert rank_attempts(probabilities[:0], features[:0], dataset, ["a", "b"], [], []) == []
