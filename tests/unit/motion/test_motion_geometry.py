"""Pure parts of the motion stage: motion image size, masks, contrast, lighting, box scaling."""

from __future__ import annotations

import numpy as np
import pytest

from roost.motion.contrast import ContrastHistory, percentile_range, percentiles, stretch_table
from roost.motion.detector import scale_rects
from roost.motion.lighting import is_relit, level_shift, matching_table
from roost.motion.masks import KEEP, keep_image, motion_shape
from roost.motion import MotionBox


@pytest.mark.parametrize(("frame", "target", "expected"), [
    ((576, 768), 100, (100, 133)),
    ((720, 1280), 100, (100, 178)),
    ((1080, 1920), 180, (180, 320)),
    ((60, 80), 100, (60, 80)),  # never upscaled
    ((1000, 10), 100, (100, 1)),  # at least one column
])
def test_motion_shape_keeps_the_aspect_ratio(frame: tuple[int, int], target: int,
                                              expected: tuple[int, int]) -> None:
    assert motion_shape(frame[0], frame[1], target) == expected


def test_no_mask_keeps_every_pixel() -> None:
    keep = keep_image([], (576, 768), (100, 133))
    assert keep.shape == (100, 133) and (keep == KEEP).all()


def test_mask_polygon_is_scaled_to_the_motion_image() -> None:
    # the right half of a 768x576 frame, drawn in frame pixels
    keep = keep_image([[(384, 0), (767, 0), (767, 575), (384, 575)]], (576, 768), (100, 133))
    masked_columns = np.flatnonzero((keep == 0).all(axis=0))
    assert masked_columns.min() in (66, 67) and masked_columns.max() == 132
    assert (keep[:, :66] == KEEP).all()


def test_several_masks_and_a_concave_one() -> None:
    l_shape = [(0, 0), (40, 0), (40, 10), (10, 10), (10, 40), (0, 40)]
    square = [(60, 60), (80, 60), (80, 80), (60, 80)]
    keep = keep_image([l_shape, square], (100, 100), (100, 100))
    assert keep[5, 30] == 0 and keep[30, 5] == 0  # both arms of the L
    assert keep[30, 30] == KEEP  # inside the L's notch
    assert keep[70, 70] == 0 and keep[50, 50] == KEEP


def test_percentiles_count_only_kept_pixels() -> None:
    image = np.zeros((10, 10), np.uint8)
    image[:, 5:] = 200
    keep = np.zeros((10, 10), np.uint8)
    keep[:, 5:] = KEEP
    assert percentiles(image, None, np.array([25.0, 75.0])).tolist() == [0, 200]
    assert percentiles(image, keep, np.array([25.0, 75.0])).tolist() == [200, 200]
    assert percentile_range(image, np.zeros_like(keep)) == (0, 255)


def test_stretch_of_a_flat_range_is_the_identity() -> None:
    assert (stretch_table(80, 80) == np.arange(256)).all()
    assert stretch_table(0, 255)[[0, 128, 255]].tolist() == [0, 128, 255]


def test_contrast_history_averages_and_resets() -> None:
    history = ContrastHistory(size=4)
    history.table(0, 100)  # fills every slot with (0, 100)
    table = history.table(40, 140)  # average range (10, 110)
    assert table[10] == 0 and table[110] == 255
    history.reset(50, 150)
    assert history.table(50, 150)[50] == 0
    flat = history.table(90, 90)  # a single-colour frame is not recorded
    assert (flat == history.table(50, 150)).all()


@pytest.mark.parametrize(("frame", "background"), [
    ([10, 40, 80, 120, 160, 200, 240], [10, 40, 80, 120, 160, 200, 240]),
    ([50, 80, 120, 160, 200, 240, 255], [10, 40, 80, 120, 160, 200, 215]),
    ([0, 0, 0, 30, 60, 90, 120], [0, 0, 0, 60, 120, 180, 240]),
])
def test_matching_table_maps_frame_levels_onto_background_levels(frame: list[int],
                                                                 background: list[int]) -> None:
    table = matching_table(np.array(frame), np.array(background))
    assert np.all(np.diff(table.astype(int)) >= 0)
    for level, target in zip(frame, background):
        if frame.count(level) == 1:
            assert abs(int(table[level]) - target) <= 1


def test_identical_levels_give_the_identity() -> None:
    levels = np.array([12, 30, 70, 128, 170, 220, 250])
    assert (matching_table(levels, levels) == np.arange(256)).all()
    assert level_shift(levels, levels) == 0.0


@pytest.mark.parametrize(("shift", "before", "after", "relit"), [
    (45.0, 0.9, 0.4, True),  # levels moved more than the threshold
    (12.0, 0.5, 0.05, True),  # half the frame changed, level matching explains it
    (8.0, 0.2, 0.19, False),  # a large object: unchanged by level matching
    (8.0, 0.5, 0.45, False),  # a huge object
    (0.0, 0.0, 0.0, False),  # nothing happened
])
def test_relighting_is_told_from_motion(shift: float, before: float, after: float, relit: bool) -> None:
    assert is_relit(shift, before, after, threshold=30) is relit


def test_motion_rects_scale_to_frame_boxes_and_stay_inside() -> None:
    rects = [(0, 0, 10, 10), (125, 95, 8, 5)]  # x, y, w, h at 133x100
    boxes = scale_rects(rects, 768 / 133, 576 / 100, 768, 576)
    assert boxes[0] == MotionBox(0, 0, 58, 58)
    assert boxes[1] == MotionBox(721, 547, 768, 576)
    assert scale_rects([], 2.0, 2.0, 10, 10) == []
