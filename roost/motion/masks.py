"""Motion masks: the config's ignore-polygons rasterised at the motion detector's resolution."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

Polygon = Sequence[tuple[float, float]]

#: Value of a pixel the detector looks at in a keep-image; masked pixels are 0.
KEEP = 255


def motion_shape(frame_height: int, frame_width: int, target_height: int) -> tuple[int, int]:
    """`(height, width)` of the downscaled motion image: `target_height` rows (never more than
    the frame has) and the width that keeps the frame's aspect ratio (at least 1 column).

    >>> motion_shape(576, 768, 100)
    (100, 133)
    """
    height = max(1, min(target_height, frame_height))
    width = max(1, round(frame_width * height / frame_height))
    return height, width


def keep_image(polygons: Sequence[Polygon], frame_size: tuple[int, int],
               mask_size: tuple[int, int]) -> npt.NDArray[np.uint8]:
    """A `(mask_height, mask_width)` uint8 image: `KEEP` where motion counts, 0 inside any of
    the `polygons` (Frigate's motion masks: areas to ignore).

    `polygons` are lists of `(x, y)` in detect-frame pixels; `frame_size` is the detect frame's
    `(height, width)` and `mask_size` the motion image's `(height, width)`. A motion pixel is
    masked when the polygon covers its centre, give or take half a motion pixel
    (cv2.fillPoly rounds edges to the nearest pixel and fills the boundary): masks err on the
    side of ignoring a sliver more.

    >>> keep_image([[(0, 0), (50, 0), (50, 100), (0, 100)]], (100, 100), (10, 10))[0].tolist()
    [0, 0, 0, 0, 0, 0, 255, 255, 255, 255]
    """
    keep = np.full(mask_size, KEEP, np.uint8)
    if not polygons:
        return keep
    scale = np.array([mask_size[1] / frame_size[1], mask_size[0] / frame_size[0]])
    # fillPoly takes integer vertices with `shift` fractional bits; 4 bits keeps sub-pixel
    # precision so thin masks do not snap a whole motion pixel either way.
    shift = 4
    # fillPoly's pixel (c, r) is the point (c, r); a motion pixel's centre sits at frame
    # coordinates ((c + 0.5) / scale_x, (r + 0.5) / scale_y), hence the half-pixel offset.
    contours = [np.round((np.asarray(poly, np.float64) * scale - 0.5) * (1 << shift)).astype(np.int32)
                for poly in polygons]
    cv2.fillPoly(keep, contours, 0, lineType=cv2.LINE_8, shift=shift)
    return keep
