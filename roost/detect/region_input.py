"""A region of a yuv420p frame as the detector's RGB input, converting only that region.

Converting the whole frame to RGB and then cutting regions out of it costs a full-frame
colour conversion on every frame with a region, however small the regions are. Here each
plane is cut and resized to the model size first (Y at the model size, U and V at half
of it, as yuv420p keeps them), and only the model-size square is converted: two regions
of a 768x576 frame convert 2 x 320 x 320 pixels instead of 768 x 576, and the resizes
work on one-channel planes instead of three-channel RGB.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from roost.detect.region import Region

Yuv = npt.NDArray[np.uint8]  # (height * 3 // 2, width) yuv420p


def _even_bounds(low: int, high: int, limit: int) -> tuple[int, int]:
    """`low..high` widened to even ends within `0..limit` (chroma covers 2x2 pixels)."""
    return low - low % 2, min(limit, high + high % 2)


def chroma_planes(yuv: Yuv, height: int, width: int) -> tuple[Yuv, Yuv]:
    """The U and V planes of a yuv420p frame, each `(height // 2, width // 2)`, as views.

    >>> frame = np.arange(6 * 4, dtype=np.uint8).reshape(6, 4)
    >>> [plane.tolist() for plane in chroma_planes(frame, 4, 4)]
    [[[16, 17], [18, 19]], [[20, 21], [22, 23]]]
    """
    quarter = (height // 2) * (width // 2)
    chroma = yuv[height:].reshape(-1)
    return (chroma[:quarter].reshape(height // 2, width // 2),
            chroma[quarter:2 * quarter].reshape(height // 2, width // 2))


def region_rgb(yuv: Yuv, frame_shape: tuple[int, int], region: Region, size: int) -> npt.NDArray[np.uint8]:
    """`region` of the frame as `(size, size, 3)` uint8 RGB (bilinear, as resizing the RGB
    crop would be)."""
    height, width = frame_shape
    x1, x2 = _even_bounds(region.x1, region.x2, width)
    y1, y2 = _even_bounds(region.y1, region.y2, height)
    u, v = chroma_planes(yuv, height, width)
    u, v = u[y1 // 2:y2 // 2, x1 // 2:x2 // 2], v[y1 // 2:y2 // 2, x1 // 2:x2 // 2]
    if (x1, y1, x2, y2) == tuple(region) and size % 2 == 0:
        return converted_planes(_resized(yuv[y1:y2, x1:x2], size), _resized(u, size // 2), _resized(v, size // 2))
    # An odd corner or model size (rare: regions start on even pixels): convert the crop
    # at its own size, widened to even edges, then cut and resize it as RGB.
    rgb = converted_planes(yuv[y1:y2, x1:x2], u, v)
    exact = rgb[region.y1 - y1:region.y2 - y1, region.x1 - x1:region.x2 - x1]
    return np.asarray(cv2.resize(exact, (size, size), interpolation=cv2.INTER_LINEAR), np.uint8)


def converted_planes(y: Yuv, u: Yuv, v: Yuv, code: int = cv2.COLOR_YUV2RGB_I420) -> npt.NDArray[np.uint8]:
    """RGB (or what `code` converts yuv420p to) of planes `y` `(h, w)` and `u`, `v`
    `(h // 2, w // 2)`, h and w even."""
    rows, side = y.shape
    planes = np.empty((rows * 3 // 2, side), np.uint8)
    planes[:rows] = y
    chroma = planes[rows:].reshape(2, rows // 2, side // 2)
    chroma[0], chroma[1] = u, v
    return np.asarray(cv2.cvtColor(planes, code), np.uint8)


def _resized(plane: Yuv, side: int) -> Yuv:
    if plane.shape[0] == side and plane.shape[1] == side:
        return plane
    return np.asarray(cv2.resize(plane, (side, side), interpolation=cv2.INTER_LINEAR), np.uint8)
