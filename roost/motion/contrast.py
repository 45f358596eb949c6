"""Contrast improvement for the motion image (Frigate's `improve_contrast`).

The motion image is stretched so its 4th..96th percentile range fills 0..255. The range is
averaged over the last `CONTRAST_HISTORY` frames so that a large dark or bright object
walking in does not shift the whole image's levels from one frame to the next (which would
look like motion everywhere).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from cv2.typing import MatLike

#: Percentiles of the motion image mapped to 0 and 255 (Frigate's values).
LOW_PERCENTILE = 4.0
HIGH_PERCENTILE = 96.0
#: Frames over which the stretch range is averaged (Frigate's `contrast_frame_history`).
CONTRAST_HISTORY = 50

_LEVELS = np.arange(256, dtype=np.float32)


def percentiles(image: MatLike, keep: MatLike | None,
                percents: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Grey levels `(K,)` at `percents` `(K,)` (0..100) of a uint8 `(h, w)` image, counting only
    pixels where `keep` is non-zero (all of them when `keep` is None); the lowest level whose
    cumulative count reaches the percentile, i.e. `np.percentile` rounded down.

    A 256-bin histogram and its cumulative sum: about 10x cheaper than `np.percentile`, which
    sorts. All zeros when no pixel is kept.

    >>> percentiles(np.arange(100, dtype=np.uint8).reshape(10, 10), None, np.array([4.0, 50.0])).tolist()
    [3, 49]
    """
    # ndarray methods rather than np.* functions: this runs every frame on tiny arrays,
    # where the functions' dispatch overhead costs more than the work
    cumulative = cv2.calcHist([image], [0], keep, [256], [0, 256]).ravel().cumsum()
    total = float(cumulative[-1])
    if total == 0:
        return np.zeros(len(percents), np.int64)
    levels: npt.NDArray[np.int64] = cumulative.searchsorted(percents * (total / 100.0)).astype(np.int64)
    return levels


def percentile_range(image: MatLike, keep: MatLike | None = None,
                     low: float = LOW_PERCENTILE, high: float = HIGH_PERCENTILE) -> tuple[int, int]:
    """Grey levels at the `low` and `high` percentiles of a uint8 `(h, w)` image (see
    `percentiles`); `(0, 255)` when no pixel is kept.

    >>> percentile_range(np.arange(100, dtype=np.uint8).reshape(10, 10))
    (3, 95)
    """
    if keep is not None and cv2.countNonZero(keep) == 0:
        return 0, 255
    lo, hi = percentiles(image, keep, np.array([low, high]))
    return int(lo), int(hi)


def stretch_table(low: float, high: float) -> npt.NDArray[np.uint8]:
    """A `(256,)` uint8 lookup table mapping `low..high` linearly onto `0..255`, clipped.
    A flat range (`high <= low`) gives the identity, so a single-colour image is left alone.

    >>> stretch_table(100, 200)[[0, 100, 150, 200, 255]].tolist()
    [0, 0, 128, 255, 255]
    """
    if high <= low:
        return np.arange(256, dtype=np.uint8)
    table: npt.NDArray[np.uint8] = np.clip(np.rint((_LEVELS - low) * (255.0 / (high - low))), 0, 255).astype(np.uint8)
    return table


class ContrastHistory:
    """Running average of the last `CONTRAST_HISTORY` stretch ranges.

    State: a `(size, 2)` float64 ring of `(low, high)` pairs with their running sum, all equal
    to the first range seen (or to the range given to `reset`). The lookup table is rebuilt
    only when the averaged range moves by a quarter grey level or more.
    """

    def __init__(self, size: int = CONTRAST_HISTORY) -> None:
        self._ranges = np.zeros((size, 2), np.float64)
        self._sum = np.zeros(2, np.float64)
        self._next = 0
        self._empty = True
        self._table_key: tuple[int, int] | None = None
        self._table = np.arange(256, dtype=np.uint8)

    def reset(self, low: int, high: int) -> None:
        """Forget the history: every slot holds `(low, high)` (after a recalibration)."""
        self._ranges[:] = (low, high)
        self._sum = self._ranges.sum(axis=0)
        self._next = 0
        self._empty = False

    def table(self, low: int, high: int) -> npt.NDArray[np.uint8]:
        """Record this frame's range and return the lookup table of the averaged range.
        Flat images (`low >= high`) are not recorded, as in Frigate."""
        if self._empty:
            self.reset(low, high)
        elif low < high:
            self._sum += (low - self._ranges[self._next, 0], high - self._ranges[self._next, 1])
            self._ranges[self._next] = (low, high)
            self._next = (self._next + 1) % len(self._ranges)
        avg_low, avg_high = self._sum / len(self._ranges)
        key = (round(avg_low * 4), round(avg_high * 4))
        if key != self._table_key:
            self._table_key = key
            self._table = stretch_table(avg_low, avg_high)
        return self._table
