"""Generated test footage for the motion detector: real photographs (scikit-image) as yuv420p."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import numpy.typing as npt
from skimage import data

HEIGHT, WIDTH = 480, 640
PATCH = 64

Gray = npt.NDArray[np.uint8]


def background() -> Gray:
    """scikit-image's `camera` photograph, resized to the test frame size (a fresh copy)."""
    return _camera().copy()


@cache
def _camera() -> Gray:
    return np.ascontiguousarray(cv2.resize(data.camera(), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA))


@cache
def patch() -> Gray:
    """A `PATCH` x `PATCH` grey crop of the `chelsea` cat photograph, stretched to the full
    0..255 range so its texture differs from any background it crosses. Shared: do not modify."""
    cat = cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2GRAY)
    crop = cv2.resize(cat[50:250, 100:300], (PATCH, PATCH), interpolation=cv2.INTER_AREA)
    return cv2.normalize(crop, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


def to_yuv420p(gray: Gray) -> Gray:
    """A `(h * 3 // 2, w)` yuv420p frame with `gray` as luma and neutral chroma."""
    height, width = gray.shape
    frame = np.full((height * 3 // 2, width), 128, np.uint8)
    frame[:height] = gray
    return frame


def with_noise(gray: Gray, rng: np.random.Generator, sigma: float) -> Gray:
    """Gaussian sensor noise of `sigma` grey levels, clipped to uint8."""
    noisy = gray.astype(np.float32) + rng.normal(0.0, sigma, gray.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def with_patch(gray: Gray, x: int, y: int) -> Gray:
    """`gray` with the cat patch pasted at top-left `(x, y)`."""
    out = gray.copy()
    out[y:y + PATCH, x:x + PATCH] = patch()
    return out
