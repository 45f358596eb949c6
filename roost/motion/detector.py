"""The motion detector: where in a frame did something change, cheaply.

Per frame, on the Y plane of a yuv420p frame:

1. downscale to `motion.frame_height` rows, aspect kept (nearest neighbour: the cheapest
   resize, and the blur below absorbs its aliasing);
2. `improve_contrast`: stretch the 4th..96th percentile range (averaged over 50 frames) to
   0..255 with a lookup table;
3. masked pixels set to 0, so motion inside a mask cannot bleed across its edge in the blur;
4. 3x3 Gaussian blur;
5. lighting: the frame's grey levels are compared with the background's at a few robust
   percentiles (`roost.motion.lighting`). When their median shift exceeds `threshold`, the
   whole scene was relit (exposure jump, lights, lightning, IR switch); a smaller shift is
   undone by mapping the frame's levels onto the background's, so a gradual or partial
   lighting change of the whole scene does not look like motion;
6. absolute difference against the running-average background (`frame_alpha`),
   thresholded at `threshold`;
7. **recalibration**, instead of reporting a box over the whole frame: on a relit scene
   (5.), or when the changed area (dilated, as Frigate measures contour area) still covers
   more than `lightning_threshold` of the unmasked frame (the camera moved or the view
   changed), background, delta average and contrast range restart from this frame and no
   motion is reported;
8. the delta is averaged over frames (`delta_alpha`) and only pixels whose averaged delta
   *and* current delta are over `threshold` count: a single-frame flicker (rain, noise) is
   not motion, as in Frigate 0.8;
9. dilate, drop masked pixels, external contours with area over `contour_area` (in motion
   pixels), bounding boxes scaled back to frame pixels;
10. the background learns the frame (`frame_alpha`) where there is no motion; where there
   is, only once motion has lasted `PERSISTENT_MOTION_FRAMES` frames (Frigate's rule), so a
   person walking by is not absorbed but a parked car eventually is.

All images are `(motion_height, motion_width)`; only the first resize touches the full frame.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import numpy.typing as npt
from cv2.typing import MatLike

from roost.config.motion_detect import MotionConfig
from roost.motion.box import MotionBox
from roost.motion.contrast import ContrastHistory, percentile_range, percentiles
from roost.motion.lighting import MATCH_PERCENTILES, is_relit, level_shift, matching_table
from roost.motion.masks import keep_image, motion_shape

logger = logging.getLogger(__name__)

#: Frames of continuous motion after which the background learns moving areas too.
PERSISTENT_MOTION_FRAMES = 10
#: Dilation passes (3x3) that join the parts of one moving thing before contours are taken.
DILATE_ITERATIONS = 2
_BLUR_KERNEL = (3, 3)
_DILATE_KERNEL = np.ones((3, 3), np.uint8)

Image = npt.NDArray[np.uint8]  # a frame handed in


def scale_rects(rects: npt.NDArray[np.int32], scale_x: float, scale_y: float,
                frame_width: int, frame_height: int) -> list[MotionBox]:
    """Motion-image rectangles `(N, 4)` as `x, y, w, h` → `MotionBox`es in frame pixels
    (`x1, y1, x2, y2`, x2/y2 exclusive), grown outwards to whole pixels and clipped.

    >>> scale_rects(np.array([[1, 2, 3, 4]], np.int32), 5.76, 5.76, 768, 576)
    [MotionBox(x1=5, y1=11, x2=24, y2=35)]
    """
    if len(rects) == 0:
        return []
    scale = np.array([scale_x, scale_y], np.float64)
    top_left = np.floor(rects[:, :2] * scale)
    bottom_right = np.minimum(np.ceil((rects[:, :2] + rects[:, 2:]) * scale), (frame_width, frame_height))
    corners = np.hstack((np.maximum(top_left, 0), bottom_right)).astype(np.int64).tolist()
    return [MotionBox(*row) for row in corners]


class MotionDetector:
    """Stateful motion detector for one camera; `detect` once per frame, in order."""

    def __init__(self, config: MotionConfig, frame_shape: tuple[int, ...]) -> None:
        """`frame_shape` is the detect frame's `(height, width)` or `(height, width, 3)`;
        `config.mask` polygons are in that frame's pixels."""
        self.config = config
        self.frame_height, self.frame_width = int(frame_shape[0]), int(frame_shape[1])
        self.shape = motion_shape(self.frame_height, self.frame_width, config.frame_height)
        self._yuv_shape = (self.frame_height * 3 // 2, self.frame_width)
        self._keep = keep_image(config.mask, (self.frame_height, self.frame_width), self.shape)
        self._masked = bool((self._keep == 0).any())
        self._kept_pixels = max(1, int(np.count_nonzero(self._keep)))
        self._scale_x = self.frame_width / self.shape[1]
        self._scale_y = self.frame_height / self.shape[0]
        self._contrast = ContrastHistory()
        self._background: npt.NDArray[np.float32] | None = None
        self._avg_delta = np.zeros(self.shape, np.float32)
        self._motion_frames = 0
        #: How many times the detector reset itself (first frame included); for stats/tests.
        self.recalibrations = 0

    def tune(self, *, enabled: bool | None = None, threshold: int | None = None,
             contour_area: int | None = None, improve_contrast: bool | None = None) -> None:
        """Apply the run-time camera controls (`roost.controls`: `motion`, `motion_threshold`,
        `motion_contour_area`, `improve_contrast`); None leaves a setting as it is. Switching
        contrast improvement changes the image the background is kept in, so the next frame
        recalibrates."""
        changes = {key: value for key, value in (("enabled", enabled), ("threshold", threshold),
                                                 ("contour_area", contour_area),
                                                 ("improve_contrast", improve_contrast))
                   if value is not None and value != getattr(self.config, key)}
        if not changes:
            return
        if "improve_contrast" in changes or "enabled" in changes:
            self._background = None
        self.config = self.config.model_copy(update=changes)
        logger.debug("motion detector tuned: %s", changes)

    def detect(self, frame: Image) -> list[MotionBox]:
        """Motion boxes of one yuv420p frame, a `(height * 3 // 2, width)` uint8 array (a
        plain `(height, width)` Y plane is accepted too). Boxes are `x1, y1, x2, y2` in frame
        pixels. The first frame, and a frame that recalibrates, report no motion."""
        if frame.shape != self._yuv_shape and frame.shape != (self.frame_height, self.frame_width):
            raise ValueError(f"expected a yuv420p frame of shape {self._yuv_shape}, got {frame.shape}")
        if not self.config.enabled:
            return []
        small = cv2.resize(frame[:self.frame_height], (self.shape[1], self.shape[0]),
                           interpolation=cv2.INTER_NEAREST)
        if self._background is None:
            self._recalibrate(small, "first frame")
            return []
        image = self._prepare(small)
        background = cv2.convertScaleAbs(self._background)
        keep = self._keep if self._masked else None
        frame_levels = percentiles(image, keep, MATCH_PERCENTILES)
        background_levels = percentiles(background, keep, MATCH_PERCENTILES)
        shift = level_shift(frame_levels, background_levels)
        changed_before = self._changed_area(cv2.absdiff(image, background)) if shift >= 1 else None
        aligned = cv2.LUT(image, matching_table(frame_levels, background_levels))
        delta = cv2.absdiff(aligned, background)
        current = cv2.threshold(delta, self.config.threshold, 255, cv2.THRESH_BINARY)[1]
        changed = self._changed_area(delta, current)
        if changed > self.config.lightning_threshold:
            self._recalibrate(small, f"{changed:.0%} of the view changed")
            return []
        if is_relit(shift, changed if changed_before is None else changed_before, changed,
                    self.config.threshold):
            self._recalibrate(small, f"scene relit: levels moved by {shift:.0f}")
            return []
        cv2.accumulateWeighted(delta, self._avg_delta, self.config.delta_alpha)
        averaged = cv2.bitwise_and(cv2.convertScaleAbs(self._avg_delta), current)
        moving = cv2.threshold(averaged, self.config.threshold, 255, cv2.THRESH_BINARY)[1]
        moving = cv2.dilate(moving, _DILATE_KERNEL, iterations=DILATE_ITERATIONS)
        if self._masked:
            moving = cv2.bitwise_and(moving, self._keep)
        boxes = self._boxes(moving)
        # the background learns the frame as it is, not as aligned, so that slow drifts of
        # the levels are absorbed and the alignment only has to cover sudden ones
        self._learn_background(image, moving, bool(boxes))
        return boxes

    def _changed_area(self, delta: MatLike, changed: MatLike | None = None) -> float:
        """Share of the unmasked frame within `DILATE_ITERATIONS` pixels of a delta over
        `threshold` (`changed`, when given, is that thresholded delta)."""
        if changed is None:
            changed = cv2.threshold(delta, self.config.threshold, 255, cv2.THRESH_BINARY)[1]
        area = cv2.dilate(changed, _DILATE_KERNEL, iterations=DILATE_ITERATIONS)
        if self._masked:
            area = cv2.bitwise_and(area, self._keep)
        return cv2.countNonZero(area) / self._kept_pixels

    def _prepare(self, small: MatLike, reset_contrast: bool = False) -> MatLike:
        """Contrast stretch, mask and blur of the downscaled Y plane."""
        if self.config.improve_contrast:
            low, high = percentile_range(small, self._keep if self._masked else None)
            if reset_contrast:
                self._contrast.reset(low, high)
            small = cv2.LUT(small, self._contrast.table(low, high))
        if self._masked:
            small = cv2.bitwise_and(small, self._keep)
        return cv2.GaussianBlur(small, _BLUR_KERNEL, 0)

    def _recalibrate(self, small: MatLike, reason: str) -> None:
        """Take this frame as the new background and forget the motion history."""
        image = self._prepare(small, reset_contrast=True)
        self._background = image.astype(np.float32)
        self._avg_delta.fill(0)
        self._motion_frames = 0
        self.recalibrations += 1
        logger.debug("motion detector recalibrated: %s", reason)

    def _boxes(self, moving: MatLike) -> list[MotionBox]:
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        rects = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) > self.config.contour_area]
        return scale_rects(np.array(rects, np.int32).reshape(-1, 4), self._scale_x, self._scale_y,
                           self.frame_width, self.frame_height)

    def _learn_background(self, image: MatLike, moving: MatLike, motion: bool) -> None:
        assert self._background is not None
        if not motion:
            self._motion_frames = 0
            cv2.accumulateWeighted(image, self._background, self.config.frame_alpha)
            return
        self._motion_frames += 1
        if self._motion_frames >= PERSISTENT_MOTION_FRAMES:
            cv2.accumulateWeighted(image, self._background, self.config.frame_alpha)
        else:
            cv2.accumulateWeighted(image, self._background, self.config.frame_alpha,
                                   mask=cv2.bitwise_not(moving))
