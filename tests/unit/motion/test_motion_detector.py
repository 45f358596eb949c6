"""The motion detector on generated footage: a real photograph, sensor noise, a moving patch."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from motion_scenes import HEIGHT, PATCH, WIDTH, background, patch, to_yuv420p, with_noise, with_patch
from skimage import data

from roost.config.motion_detect import MotionConfig
from roost.motion import MotionBox, MotionDetector, default_detector

NOISE_SIGMA = 4.0
#: Frames the delta average may take before a moving patch registers.
WARM_UP_FRAMES = 4
#: How far a motion box may reach outside the patch (dilation and blur at 1/4.8 scale).
BOX_SLACK = 24


def _static_frames(detector: MotionDetector, count: int, rng: np.random.Generator,
                   gray: np.ndarray | None = None) -> list[list[MotionBox]]:
    scene = background() if gray is None else gray
    return [detector.detect(to_yuv420p(with_noise(scene, rng, NOISE_SIGMA))) for _ in range(count)]


def _inside(box: MotionBox, x: int, y: int, slack: int) -> bool:
    return (box.x1 >= x - slack and box.y1 >= y - slack
            and box.x2 <= x + PATCH + slack and box.y2 <= y + PATCH + slack)


def test_static_scene_with_sensor_noise_has_no_motion() -> None:
    detector = default_detector((HEIGHT, WIDTH, 3))
    results = _static_frames(detector, 80, np.random.default_rng(1))
    assert results == [[]] * 80
    assert detector.recalibrations == 1  # the first frame only


def test_moving_patch_is_reported_where_it_is() -> None:
    rng = np.random.default_rng(2)
    detector = default_detector((HEIGHT, WIDTH, 3))
    _static_frames(detector, 10, rng)
    y = 200
    hits = 0
    for step in range(40):
        x = 40 + 12 * step
        boxes = detector.detect(to_yuv420p(with_noise(with_patch(background(), x, y), rng, NOISE_SIGMA)))
        assert all(_inside(box, x, y, BOX_SLACK) for box in boxes), (step, boxes)
        if step >= WARM_UP_FRAMES:
            assert boxes, f"no motion at step {step}"
            hits += 1
    assert hits == 40 - WARM_UP_FRAMES


def test_boxes_are_in_frame_pixels_within_the_frame() -> None:
    detector = MotionDetector(MotionConfig(), (HEIGHT, WIDTH))
    rng = np.random.default_rng(3)
    _static_frames(detector, 5, rng)
    boxes: list[MotionBox] = []
    for step in range(12):
        x = WIDTH - PATCH - 4 * step  # hugging the right and bottom edges
        boxes += detector.detect(to_yuv420p(with_patch(background(), x, HEIGHT - PATCH)))
    assert boxes
    for box in boxes:
        assert 0 <= box.x1 < box.x2 <= WIDTH and 0 <= box.y1 < box.y2 <= HEIGHT


def test_no_motion_inside_a_mask() -> None:
    band = f"poly,0,150,{WIDTH - 1},150,{WIDTH - 1},330,0,330"
    detector = MotionDetector(MotionConfig(mask=band), (HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(4)
    _static_frames(detector, 10, rng)
    for step in range(30):  # the patch (y 200..264) stays well inside the band 150..330
        frame = with_noise(with_patch(background(), 40 + 15 * step, 200), rng, NOISE_SIGMA)
        assert detector.detect(to_yuv420p(frame)) == []


def test_motion_outside_a_mask_is_still_reported_and_stops_at_its_edge() -> None:
    top = f"poly,0,0,{WIDTH - 1},0,{WIDTH - 1},230,0,230"
    detector = MotionDetector(MotionConfig(mask=[top]), (HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(5)
    _static_frames(detector, 10, rng)
    found = []
    for step in range(20):  # the patch (y 200..264) straddles the mask's lower edge
        frame = with_noise(with_patch(background(), 40 + 15 * step, 200), rng, NOISE_SIGMA)
        found += detector.detect(to_yuv420p(frame))
    assert found
    # one motion pixel (4.8 frame pixels) of rounding at the edge, no more
    assert min(box.y1 for box in found) >= 230 - 5


def test_a_mask_set_while_running_stops_motion_there() -> None:
    detector = MotionDetector(MotionConfig(), (HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(6)
    _static_frames(detector, 10, rng)
    before = []
    for step in range(10):
        before += detector.detect(to_yuv420p(with_noise(with_patch(background(), 40 + 15 * step, 200), rng, NOISE_SIGMA)))
    assert before, "the moving patch is seen before the mask"
    band = [(0.0, 150.0), (WIDTH - 1.0, 150.0), (WIDTH - 1.0, 330.0), (0.0, 330.0)]
    detector.set_mask([band])
    for step in range(10, 30):
        assert detector.detect(to_yuv420p(with_noise(with_patch(background(), 40 + 15 * step, 200), rng, NOISE_SIGMA))) == []
    assert detector.config.mask == [band]


RELIGHTINGS = {
    "brighter by 40": lambda level: level + 40,
    "brighter by 70": lambda level: level + 70,
    "darker by 60": lambda level: level - 60,
    "gain 1.3": lambda level: level * 1.3,
    "gain 0.6": lambda level: level * 0.6,
    "contrast 0.4": lambda level: (level - 128) * 0.4 + 128,
    "gamma 0.6": lambda level: 255 * (level / 255) ** 0.6,
}


@pytest.mark.parametrize("change", RELIGHTINGS)
def test_no_motion_storm_on_a_global_lighting_change(change: str) -> None:
    detector = default_detector((HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(6)
    scene = background()
    assert _static_frames(detector, 20, rng, scene) == [[]] * 20
    relit = np.clip(RELIGHTINGS[change](scene.astype(np.float32)), 0, 255).astype(np.uint8)
    assert _static_frames(detector, 30, rng, relit) == [[]] * 30


def test_a_changed_view_recalibrates_instead_of_reporting_motion_everywhere() -> None:
    detector = default_detector((HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(8)
    _static_frames(detector, 10, rng)
    coffee = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY)
    other_view = np.ascontiguousarray(cv2.resize(coffee, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA))
    assert _static_frames(detector, 20, rng, other_view) == [[]] * 20
    assert detector.recalibrations == 2


def test_a_large_object_is_motion_not_a_lighting_change() -> None:
    detector = default_detector((HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(9)
    _static_frames(detector, 10, rng)
    big = cv2.resize(patch(), (240, 240), interpolation=cv2.INTER_LINEAR)  # 19% of the frame
    found = 0
    for step in range(12):
        frame = background()
        frame[120:360, 20 + 25 * step:260 + 25 * step] = big
        boxes = detector.detect(to_yuv420p(with_noise(frame, rng, NOISE_SIGMA)))
        found += bool(boxes)
    assert found >= 12 - WARM_UP_FRAMES
    assert detector.recalibrations == 1


def test_motion_is_found_again_after_a_recalibration() -> None:
    detector = default_detector((HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(7)
    _static_frames(detector, 5, rng)
    bright = np.clip(background().astype(np.int16) + 60, 0, 255).astype(np.uint8)
    _static_frames(detector, 5, rng, bright)
    seen = [detector.detect(to_yuv420p(with_patch(bright, 40 + 12 * step, 100))) for step in range(15)]
    assert sum(1 for boxes in seen if boxes) >= 15 - WARM_UP_FRAMES


def test_disabled_detector_reports_nothing() -> None:
    detector = MotionDetector(MotionConfig(enabled=False), (HEIGHT, WIDTH))
    for step in range(10):
        assert detector.detect(to_yuv420p(with_patch(background(), 30 * step, 100))) == []


def test_wrong_frame_shape_is_an_error_naming_the_expected_shape() -> None:
    detector = default_detector((HEIGHT, WIDTH, 3))
    with pytest.raises(ValueError, match=r"\(720, 640\)"):
        detector.detect(np.zeros((100, 100), np.uint8))


def test_run_time_controls_take_effect() -> None:
    detector = default_detector((HEIGHT, WIDTH, 3))
    rng = np.random.default_rng(10)
    _static_frames(detector, 5, rng)
    detector.tune(threshold=30)  # unchanged: nothing happens
    assert detector.recalibrations == 1
    detector.tune(enabled=False)
    assert detector.detect(to_yuv420p(with_patch(background(), 100, 100))) == []
    detector.tune(enabled=True, improve_contrast=False, threshold=40, contour_area=20)
    assert (detector.config.threshold, detector.config.contour_area, detector.config.improve_contrast) == (40, 20, False)
    assert _static_frames(detector, 5, rng) == [[]] * 5
    assert detector.recalibrations == 2  # restarted from the first frame after the switch
    moving = [detector.detect(to_yuv420p(with_patch(background(), 40 + 12 * step, 200))) for step in range(10)]
    assert sum(1 for boxes in moving if boxes) >= 10 - WARM_UP_FRAMES
