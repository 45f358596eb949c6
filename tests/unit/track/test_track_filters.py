"""Object filters: tracked labels, area, ratio, min_score, object masks by bottom centre."""

from __future__ import annotations

import pytest
from track_scenes import detection

from roost.config.objects import FilterConfig, ObjectsConfig
from roost.track.filters import filter_detections, kept_detections

OBJECTS = ObjectsConfig(
    track=["person", "car"],
    filters={
        "person": FilterConfig(min_area=1000, max_area=50_000, min_ratio=0.2, max_ratio=1.0, min_score=0.6),
        "car": FilterConfig(mask="0,400,768,400,768,576,0,576"),  # cars only count above y=400
    },
    mask="poly,700,0,768,0,768,100,700,100",  # the clock in the corner, for every label
)


@pytest.mark.parametrize(("box", "label", "score", "kept"), [
    ((100, 100, 150, 200), "person", 0.9, True),  # 50x100: area 5000, ratio 0.5
    ((100, 100, 120, 140), "person", 0.9, False),  # area 800 < min_area
    ((0, 0, 250, 250), "person", 0.9, False),  # area 62500 > max_area
    ((100, 100, 200, 150), "person", 0.9, False),  # ratio 2.0 > max_ratio
    ((100, 100, 110, 200), "person", 0.9, False),  # ratio 0.1 < min_ratio (area 1000 passes)
    ((100, 100, 150, 200), "person", 0.6, True),  # score equal to min_score
    ((100, 100, 150, 200), "person", 0.59, False),
    ((100, 100, 150, 200), "dog", 0.99, False),  # not tracked
    ((100, 100, 150, 200), "car", 0.3, False),  # default min_score 0.5
    ((100, 100, 150, 200), "car", 0.5, True),
    ((100, 300, 300, 420), "car", 0.9, False),  # stands at y=419, in the car mask
    ((100, 300, 300, 401), "car", 0.9, False),  # stands on y=400, the mask's edge: masked
    ((100, 300, 300, 400), "car", 0.9, True),  # stands on y=399: above the mask
    ((100, 300, 300, 420), "person", 0.9, False),  # person mask does not exist, but area 24000 ratio 1.67
    ((710, 20, 740, 80), "person", 0.9, False),  # stands in the clock mask (every label); area 1800
])
def test_filter_table(box: tuple[int, int, int, int], label: str, score: float, kept: bool) -> None:
    assert bool(kept_detections([detection(box, label, score)], OBJECTS)[0]) is kept


def test_mask_edge_counts_as_inside() -> None:
    on_edge = detection((100, 300, 300, 401), "car")  # bottom centre (199.5, 400): on the edge
    assert kept_detections([on_edge], OBJECTS).tolist() == [False]


def test_label_masks_only_apply_to_their_label() -> None:
    person = detection((300, 450, 340, 530), "person")  # area 3200, ratio 0.5, in the car mask
    car = detection((300, 450, 340, 530), "car")
    assert [d.label for d in filter_detections([person, car], OBJECTS)] == ["person"]


def test_order_is_kept_and_empty_input_is_fine() -> None:
    boxes = [(100, 100, 150, 200), (10, 10, 12, 12), (300, 100, 350, 200)]
    kept = filter_detections([detection(b) for b in boxes], OBJECTS)
    assert [d.box for d in kept] == [boxes[0], boxes[2]]
    assert filter_detections([], OBJECTS) == []
