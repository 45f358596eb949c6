"""Roost stage: motion. `MotionDetector` turns yuv420p frames into `MotionBox`es.

The camera process builds one detector per camera with `MotionDetector(camera.motion,
camera.frame_shape)`; benchmarks and outside comparisons use `default_detector`.
"""

from __future__ import annotations

from roost.config.motion_detect import MotionConfig
from roost.motion.box import MotionBox
from roost.motion.detector import MotionDetector

__all__ = ["MotionBox", "MotionDetector", "default_detector"]


def default_detector(frame_shape: tuple[int, ...]) -> MotionDetector:
    """A detector with the default `motion:` config for frames of `frame_shape`
    (`(height, width, 3)` or `(height, width)`); its `detect(frame)` takes a yuv420p frame as
    a `(height * 3 // 2, width)` uint8 array and returns `(x1, y1, x2, y2)` motion boxes."""
    return MotionDetector(MotionConfig(), frame_shape)
