"""A region converted on its own is the region of the converted frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from roost.detect.region import Region
from roost.detect.region_input import region_rgb

HEIGHT, WIDTH = 576, 768


def photo_yuv() -> tuple[np.ndarray, np.ndarray]:
    """A real photograph as a yuv420p frame, and the frame converted whole to RGB."""
    rgb = np.ascontiguousarray(cv2.resize(np.asarray(data.astronaut()), (WIDTH, HEIGHT)))
    yuv = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), np.uint8)
    return yuv, np.asarray(cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420), np.uint8)


@pytest.mark.parametrize("region", [Region(264, 194, 584, 514), Region(0, 0, 576, 576), Region(448, 256, 768, 576),
                                    Region(101, 33, 421, 353)], ids=["inside", "large", "corner", "odd corner"])
@pytest.mark.parametrize("size", [320, 416, 299])
def test_region_matches_the_whole_frame_conversion(region: Region, size: int) -> None:
    yuv, whole = photo_yuv()
    expected = cv2.resize(whole[region.y1:region.y2, region.x1:region.x2], (size, size))
    got = region_rgb(yuv, (HEIGHT, WIDTH), region, size)
    assert got.shape == (size, size, 3) and got.dtype == np.uint8
    difference = np.abs(got.astype(np.int16) - expected.astype(np.int16))
    assert difference.mean() < 2.5  # rounding and chroma resampled at half resolution
    assert np.percentile(difference, 99) < 20  # no shifted or swapped planes
