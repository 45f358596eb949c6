"""The motion detector: where in a frame did something change, cheaply.

Per frame, on the Y plane of a yuv420p frame:

1. downscale to `motion.frame_height` rows, aspect kept (nearest neighbour: the cheapest
   resize, and the blur below absorbs its aliasing);
2. masked pixels set to 0, so motion inside a mask cannot bleed across its edge in the blur;
3. 3x3 Gaussian blur;
4. `improve_contrast`: stretch the 4th..96th percentile range (averaged over 50 frames) to
   0..255 with a lookup table (after the blur rather than before as Frigate does: the two
   commute except at clipped pixels, and one histogram then serves steps 4 and 5);
5. lighting: the frame's grey levels are compared with the background's at a few robust
   percentiles (`roost.motion.lighting`). When their median shift exceeds `threshold`, the
   whole scene was relit (exposure jump, lights, lightning, IR switch); a smaller shift is
   undone by mapping the frame's levels onto the background's, so a gradual or partial
   lighting change of the whole scene does not look like motion;
6. absolute difference against the running-average background (`frame_alpha`),
   thresholded at `threshold`;
7. **recalibration**, instead of reporting a box over the whole frame: on a relit scene
   (levels moved by more than `threshold`, or more than a third of the frame changed and
   level matching explains most of it: `roost.motion.lighting.is_relit`), or when the changed area (dilated, as Frigate measures contour area) still covers
   more than `lightning_threshold` of the unmasked frame (the camera moved or the view
   changed), background, delta average and contrast range restart from this frame and no
   motion is reported;
8. the delta is averaged over frames (`delta_alpha`) and only pixels whose averaged delta
   *and* current delta are over `threshold` count: a single-frame flicker (rain, noise) is
   not motion, as in Frigate 0.8;
9. dilate, drop masked pixels, external contours with area over `contour_area` (in motion
   pixels), bounding boxes scaled back to frame pixels;
10. the background learns the frame (`frame_alpha`; as stretched, not as level-matched, so
   slow drifts are absorbed) where there is no motion; where there
   is, only once motion has lasted `PERSISTENT_MOTION_FRAMES` frames (Frigate's rule), so a
   person walking by is not absorbed but a parked car eventually is.

All images are `(motion_height, motion_width)`; only the first resize touches the full frame.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
from cv2.typing import MatLike

from roost.config.motion_detect import MotionConfig
from roost.motion.box import MotionBox
from roost.motion.contrast import HIGH_PERCENTILE, LOW_PERCENTILE, ContrastHistory, percentiles
from roost.motion.lighting import MATCH_PERCENTILES, is_relit, level_shift, matching_table
from roost.motion.masks import keep_image, motion_shape

logger = logging.getLogger(__name__)

#: Frames of continuous motion after which the background learns moving areas too.
PERSISTENT_MOTION_FRAMES = 10
#: Dilation (in motion pixels, each way) that joins the parts of one moving thing before
#: contours are taken: a 5x5 square, i.e. two 3x3 passes in one.
DILATE_RADIUS = 2
_BLUR_KERNEL = (3, 3)
_DILATE_KERNEL = np.ones((2 * DILATE_RADIUS + 1,) * 2, np.uint8)
_IDENTITY = np.arange(256, dtype=np.uint8)
#: Frames between re-measurements of the background's levels: it learns 1% of a frame per
#: frame (`frame_alpha`), so its levels barely move in between.
BACKGROUND_LEVELS_EVERY = 5
#: Frame and background levels this close (grey levels, at every matched percentile) need
#: no lighting compensation.
LEVELS_AGREE = 1
#: Frame percentiles taken from one histogram: the contrast range, then the matched levels.
_FRAME_PERCENTILES = np.concatenate(([LOW_PERCENTILE, HIGH_PERCENTILE], MATCH_PERCENTILES))

Image = npt.NDArray[np.uint8]  # a frame handed in


def scale_rects(rects: Sequence[Sequence[int]], scale_x: float, scale_y: float,
                frame_width: int, frame_height: int) -> list[MotionBox]:
    """Motion-image rectangles `(N, 4)` as `x, y, w, h` (cv2.boundingRect's) → `MotionBox`es
    in frame pixels (`x1, y1, x2, y2`, x2/y2 exclusive), grown outwards to whole pixels and
    clipped to the frame.

    Plain Python on purpose: N is a handful per frame, and numpy's per-call overhead on
    such tiny arrays costs more than twice the arithmetic (this runs on every frame).

    >>> scale_rects([(1, 2, 3, 4)], 5.76, 5.76, 768, 576)
    [MotionBox(x1=5, y1=11, x2=24, y2=35)]
    """
    return [MotionBox(max(0, math.floor(x * scale_x)), max(0, math.floor(y * scale_y)),
                      min(frame_width, math.ceil((x + w) * scale_x)),
                      min(frame_height, math.ceil((y + h) * scale_y)))
            for x, y, w, h in rects]


class MotionDetector:
    """Stateful motion detector for one camera; `detect` once per frame, in order."""

    def __init__(self, config: MotionConfig, frame_shape: tuple[int, ...]) -> None:
        """`frame_shape` is the detect frame's `(height, width)` or `(height, width, 3)`;
        `config.mask` polygons are in that frame's pixels."""
        self.config = config
        self.frame_height, self.frame_width = int(frame_shape[0]), int(frame_shape[1])
        self.shape = motion_shape(self.frame_height, self.frame_width, config.frame_height)
        self._yuv_shape = (self.frame_height * 3 // 2, self.frame_width)
        self._set_keep(config.mask)
        self._scale_x = self.frame_width / self.shape[1]
        self._scale_y = self.frame_height / self.shape[0]
        self._contrast = ContrastHistory()
        self._background: npt.NDArray[np.float32] | None = None
        self._avg_delta = np.zeros(self.shape, np.float32)
        self._motion_frames = 0
        self._threshold = np.zeros(1, np.float64)
        self._background_levels = np.zeros(len(MATCH_PERCENTILES), np.int64)
        self._background_levels_age = BACKGROUND_LEVELS_EVERY  # due at the next frame
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

    def _set_keep(self, mask: list[list[tuple[float, float]]]) -> None:
        self._keep = keep_image(mask, (self.frame_height, self.frame_width), self.shape)
        self._masked = bool((self._keep == 0).any())
        self._kept_pixels = max(1, int(np.count_nonzero(self._keep)))
        self._keep_or_none = self._keep if self._masked else None

    def set_mask(self, mask: list[list[tuple[float, float]]]) -> None:
        """Replace the motion masks (polygons in detect-frame pixels) while running, as the
        web UI's mask editor saves them. The background starts again from the next frame:
        the old one holds the pixels under the new masks, which would bleed across their
        edges in the blur."""
        if mask == self.config.mask:
            return
        self._set_keep(mask)
        self._background = None
        self.config = self.config.model_copy(update={"mask": mask})
        logger.debug("motion masks replaced: %d polygon(s)", len(mask))

    def detect(self, frame: Image) -> list[MotionBox]:
        """Motion boxes of one yuv420p frame, a `(height * 3 // 2, width)` uint8 array (a
        plain `(height, width)` Y plane is accepted too). Boxes are `x1, y1, x2, y2` in frame
        pixels. The first frame, and a frame that recalibrates, report no motion."""
        if frame.shape != self._yuv_shape and frame.shape != (self.frame_height, self.frame_width):
            raise ValueError(f"expected a yuv420p frame of shape {self._yuv_shape}, got {frame.shape}")
        if not self.config.enabled:
            return []
        # cv2.compare takes a scalar as a 1-element array (typed; a plain int works too)
        self._threshold[0] = self.config.threshold
        small = cv2.resize(frame[:self.frame_height], (self.shape[1], self.shape[0]),
                           interpolation=cv2.INTER_NEAREST)
        if self._masked:
            small = cv2.bitwise_and(small, self._keep)
        blurred = cv2.GaussianBlur(small, _BLUR_KERNEL, 0)
        levels = percentiles(blurred, self._keep_or_none, _FRAME_PERCENTILES)
        if self._background is None:
            self._recalibrate(blurred, levels, "first frame")
            return []
        stretch = self._stretch_table(levels, reset=False)
        image = cv2.LUT(blurred, stretch) if self.config.improve_contrast else blurred
        background = cv2.convertScaleAbs(self._background)
        # percentiles commute with the (monotone) stretch: no second histogram of the frame
        frame_levels = stretch[levels[2:]].astype(np.int64)
        if self._background_levels_age >= BACKGROUND_LEVELS_EVERY:
            self._background_levels = percentiles(background, self._keep_or_none, MATCH_PERCENTILES)
            self._background_levels_age = 0
        self._background_levels_age += 1
        background_levels = self._background_levels
        shift = level_shift(frame_levels, background_levels)
        if int(np.abs(frame_levels - background_levels).max()) <= LEVELS_AGREE:
            aligned = image  # nothing to compensate
        else:
            aligned = cv2.LUT(blurred, matching_table(frame_levels, background_levels)[stretch])
        delta = cv2.absdiff(aligned, background)
        current = cv2.compare(delta, self._threshold, cv2.CMP_GT)
        changed = self._changed_area(current)
        if changed > self.config.lightning_threshold:
            self._recalibrate(blurred, levels, f"{changed:.0%} of the view changed")
            return []
        changed_before = changed if shift < 1 else self._changed_area(
            cv2.compare(cv2.absdiff(image, background), self._threshold, cv2.CMP_GT))
        if is_relit(shift, changed_before, changed, self.config.threshold):
            self._recalibrate(blurred, levels, f"scene relit: levels moved by {shift:.0f}")
            return []
        cv2.accumulateWeighted(delta, self._avg_delta, self.config.delta_alpha)
        moving = cv2.bitwise_and(cv2.compare(self._avg_delta, self._threshold, cv2.CMP_GT), current)
        moving = cv2.dilate(moving, _DILATE_KERNEL)
        if self._masked:
            moving = cv2.bitwise_and(moving, self._keep)
        boxes = self._boxes(moving)
        # the background learns the frame as it is, not as aligned, so that slow drifts of
        # the levels are absorbed and the alignment only has to cover sudden ones
        self._learn_background(image, moving, bool(boxes))
        return boxes

    def _changed_area(self, changed: MatLike) -> float:
        """Share of the unmasked frame within `DILATE_RADIUS` pixels of a changed pixel
        (`changed`: a thresholded delta, non-zero where changed)."""
        area = cv2.dilate(changed, _DILATE_KERNEL)
        if self._masked:
            area = cv2.bitwise_and(area, self._keep)
        return cv2.countNonZero(area) / self._kept_pixels

    def _stretch_table(self, levels: npt.NDArray[np.int64], reset: bool) -> npt.NDArray[np.uint8]:
        """The contrast stretch lookup table for this frame (identity when `improve_contrast`
        is off); `levels[:2]` are the frame's 4th and 96th percentile levels."""
        if not self.config.improve_contrast:
            return _IDENTITY
        low, high = int(levels[0]), int(levels[1])
        if reset:
            self._contrast.reset(low, high)
        return self._contrast.table(low, high)

    def _recalibrate(self, blurred: MatLike, levels: npt.NDArray[np.int64], reason: str) -> None:
        """Take this frame as the new background and forget the motion history."""
        image = cv2.LUT(blurred, self._stretch_table(levels, reset=True))
        self._background = image.astype(np.float32)
        self._avg_delta.fill(0)
        self._motion_frames = 0
        self._background_levels_age = BACKGROUND_LEVELS_EVERY
        self.recalibrations += 1
        logger.debug("motion detector recalibrated: %s", reason)

    def _boxes(self, moving: MatLike) -> list[MotionBox]:
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        rects = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) > self.config.contour_area]
        return scale_rects(rects, self._scale_x, self._scale_y, self.frame_width, self.frame_height)

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
