"""Regions: squares around motion and tracked objects, grown, merged, kept inside the frame."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.detect.region import Region
from roost.detect.regions import (as_boxes, calculate_regions, join_overlapping, merge_regions,
                                  pairwise_iou, square_regions)

FRAME = (576, 768)
MODEL = 320


@pytest.mark.parametrize(("a", "b", "iou"), [
    ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
    ((0, 0, 10, 10), (5, 0, 15, 10), 1 / 3),
    ((0, 0, 10, 10), (10, 0, 20, 10), 0.0),  # touching edges do not overlap
    ((0, 0, 10, 10), (2, 2, 4, 4), 0.04),  # contained
    ((0, 0, 0, 0), (0, 0, 0, 0), 0.0),  # empty boxes
])
def test_pairwise_iou(a: tuple[int, ...], b: tuple[int, ...], iou: float) -> None:
    assert pairwise_iou(as_boxes([a]), as_boxes([b]))[0, 0] == pytest.approx(iou)


def test_pairwise_iou_shape_is_n_by_m() -> None:
    assert pairwise_iou(as_boxes([(0, 0, 1, 1)] * 3), as_boxes([(0, 0, 1, 1)] * 2)).shape == (3, 2)


def test_join_overlapping_follows_chains_but_not_touching_edges() -> None:
    boxes = as_boxes([(0, 0, 10, 10), (8, 8, 20, 20), (19, 19, 30, 30), (30, 0, 40, 10)])
    assert join_overlapping(boxes).tolist() == [[0, 0, 30, 30], [30, 0, 40, 10]]


def test_small_motion_gets_a_model_sized_square_centred_on_it() -> None:
    (region,) = calculate_regions(FRAME, [(380, 280, 400, 300)], [], MODEL)
    assert region == Region(230, 130, 550, 450)


def test_large_box_gets_a_square_of_1_2_times_its_longer_side_rounded_to_4() -> None:
    (region,) = calculate_regions(FRAME, [(300, 100, 400, 401)], [], MODEL)
    assert region.size == 364  # ceil(301 * 1.2 / 4) * 4
    assert region.y1 <= 100 and region.y2 >= 401


def test_regions_at_the_frame_edge_are_shifted_inside_not_shrunk() -> None:
    (region,) = calculate_regions(FRAME, [(0, 560, 30, 576)], [], MODEL)
    assert region == Region(0, 256, 320, 576)
    (region,) = calculate_regions(FRAME, [(750, 0, 768, 10)], [], MODEL)
    assert region == Region(448, 0, 768, 320)


def test_region_is_capped_at_the_frame_size() -> None:
    (region,) = calculate_regions(FRAME, [(100, 50, 500, 550)], [], MODEL)
    assert region.size == 576 and region.y1 == 0 and region.y2 == 576


def test_a_box_wider_than_the_frame_is_tall_is_covered_by_tiles() -> None:
    regions = calculate_regions(FRAME, [(0, 200, 768, 300)], [], MODEL)
    assert len(regions) == 2
    assert all(r.size <= 576 for r in regions)
    assert min(r.x1 for r in regions) == 0 and max(r.x2 for r in regions) == 768


def test_overlapping_motion_and_object_boxes_give_one_region() -> None:
    regions = calculate_regions(FRAME, [(200, 200, 260, 300)], [(250, 210, 300, 320)], MODEL)
    assert len(regions) == 1


def test_heavily_overlapping_regions_are_merged_and_resquared() -> None:
    # two small boxes 100 px apart: their 320 squares overlap with IoU ~0.52
    regions = calculate_regions(FRAME, [(200, 200, 210, 210), (300, 200, 310, 210)], [], MODEL)
    (region,) = regions
    assert region.size == 420  # the union of both squares, squared
    assert region.x1 <= 200 and region.x2 >= 310


def test_regions_far_apart_stay_separate() -> None:
    regions = calculate_regions(FRAME, [(10, 10, 20, 20), (700, 500, 720, 520)], [], MODEL)
    assert len(regions) == 2


def test_slightly_overlapping_regions_stay_separate() -> None:
    squares = np.array([[0, 0, 320, 320], [250, 0, 570, 320]])  # IoU 70 / 570 ~ 0.12
    assert len(merge_regions(squares, FRAME)) == 2


def test_regions_that_would_not_fit_the_frame_when_merged_stay_separate() -> None:
    squares = np.array([[0, 0, 576, 576], [100, 0, 676, 576]])  # IoU 0.7, union 676 wide
    assert len(merge_regions(squares, FRAME)) == 2


def test_no_boxes_no_regions() -> None:
    assert calculate_regions(FRAME, [], [], MODEL) == []
    assert calculate_regions(FRAME, [(800, 600, 900, 700)], [], MODEL) == []  # off frame
    assert square_regions(np.zeros((0, 4)), FRAME, MODEL).shape == (0, 4)


def test_frame_smaller_than_the_model_gives_frame_sized_regions() -> None:
    (region,) = calculate_regions((240, 300, 3), [(10, 10, 20, 20)], [], MODEL)
    assert region == Region(0, 0, 240, 240)


def _covered(frame: tuple[int, int], regions: list[Region]) -> np.ndarray:
    covered = np.zeros(frame, bool)
    for r in regions:
        covered[r.y1:r.y2, r.x1:r.x2] = True
    return covered


@st.composite
def scenes(draw: st.DrawFn) -> tuple[tuple[int, int], int, list[tuple[int, int, int, int]]]:
    height = draw(st.integers(16, 300))
    width = draw(st.integers(16, 300))
    model = draw(st.sampled_from([32, 64, 100, 128]))

    def box() -> st.SearchStrategy[tuple[int, int, int, int]]:
        return st.tuples(st.integers(-20, width + 20), st.integers(-20, height + 20),
                         st.integers(1, width + 40), st.integers(1, height + 40)).map(
            lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))

    boxes = draw(st.lists(box(), max_size=12))
    return (height, width), model, boxes


@settings(max_examples=300, deadline=None)
@given(scenes(), st.integers(0, 12))
def test_regions_are_squares_inside_the_frame_covering_every_box(
        scene: tuple[tuple[int, int], int, list[tuple[int, int, int, int]]], split: int) -> None:
    frame, model, boxes = scene
    regions = calculate_regions(frame, boxes[:split], boxes[split:], model)
    height, width = frame
    for r in regions:
        assert r.x2 - r.x1 == r.y2 - r.y1 == r.size
        assert 0 <= r.x1 and r.x2 <= width and 0 <= r.y1 and r.y2 <= height
        assert r.size >= min(model, height, width)
    covered = _covered(frame, regions)
    for x1, y1, x2, y2 in boxes:
        x1, x2 = max(x1, 0), min(x2, width)
        y1, y2 = max(y1, 0), min(y2, height)
        if x2 > x1 and y2 > y1:
            assert covered[y1:y2, x1:x2].all(), (x1, y1, x2, y2, regions)
    # never more regions than tiles of the input boxes (a box is tiled only when it is longer
    # than the frame's shorter side)
    longest = [max(x2 - x1, y2 - y1) for x1, y1, x2, y2 in boxes]
    assert len(regions) <= sum(-(-size // (min(frame) - 2)) for size in longest)
