"""Global lighting compensation: map a frame's grey levels onto the background's.

A camera's exposure jump, a cloud, lights switching on or an IR change move every pixel's
level at once, by an amount that depends on the level (saturation, gain, gamma) but not on
where the pixel is. Matching a handful of robust percentiles of the frame to the same
percentiles of the background undoes such a change, while a moving object, which covers a
minority of the pixels, barely moves those percentiles and still stands out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Percentiles matched between frame and background. Inner ones only: a small object that
#: is darker or brighter than the whole scene moves the extreme tails, not these.
MATCH_PERCENTILES = np.array([2.0, 10.0, 25.0, 50.0, 75.0, 90.0, 98.0])

_LEVELS = np.arange(256, dtype=np.float64)
# Separates equal percentile levels so the interpolation points strictly increase.
_TIE_BREAK = 1e-3


def matching_table(frame_levels: npt.NDArray[np.int64],
                   background_levels: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """A `(256,)` uint8 lookup table taking grey level `frame_levels[k]` to
    `background_levels[k]` for each matched percentile (both `(K,)`, non-decreasing), linear
    in between and with slope 1 beyond the first and last points. Monotone non-decreasing.

    >>> table = matching_table(np.array([50, 100, 150]), np.array([20, 70, 120]))
    >>> table[[0, 50, 75, 150, 255]].tolist()
    [0, 20, 45, 120, 225]
    """
    count = len(frame_levels)
    xp = np.empty(count + 2, np.float64)
    fp = np.empty(count + 2, np.float64)
    xp[0], xp[1:-1], xp[-1] = 0.0, frame_levels, 255.0
    fp[1:-1] = background_levels
    first_frame, last_frame = float(frame_levels[0]), float(frame_levels[-1])
    first_background, last_background = float(background_levels[0]), float(background_levels[-1])
    fp[0] = min(max(first_background - first_frame, 0.0), first_background)
    fp[-1] = min(max(255.0 + last_background - last_frame, last_background), 255.0)
    xp = np.maximum.accumulate(xp) + _TIE_BREAK * np.arange(count + 2)
    return np.rint(np.interp(_LEVELS, xp, fp)).astype(np.uint8)


#: A change of the whole picture counts as relighting when at least this share of the frame
#: changed before level matching ...
RELIT_CHANGED_AREA = 0.35
#: ... and level matching left at most this share of that change unexplained.
RELIT_UNEXPLAINED = 0.25


def level_shift(frame_levels: npt.NDArray[np.int64], background_levels: npt.NDArray[np.int64]) -> float:
    """Median absolute difference between matched percentile levels `(K,)`: how far the whole
    scene's grey levels moved. A moving object moves a few percentiles, relighting all.

    >>> level_shift(np.array([10, 50, 90]), np.array([12, 80, 130]))
    30.0
    """
    return float(np.median(np.abs(frame_levels - background_levels)))


def is_relit(shift: float, changed_area: float, unexplained_area: float, threshold: int) -> bool:
    """Whether the scene was relit rather than something moving in it.

    `shift` is `level_shift` in grey levels; `changed_area` and `unexplained_area` are the
    shares (0..1) of the frame that differ from the background by more than `threshold`
    before and after level matching. Relit when the levels moved by more than `threshold`
    (even a change that saturates part of the picture moves the median), or when a large
    change is mostly explained by level matching (a change that saturates or crushes part
    of the picture leaves texture differences there, but far fewer).

    >>> is_relit(40.0, 0.8, 0.3, 30), is_relit(10.0, 0.5, 0.05, 30), is_relit(8.0, 0.2, 0.19, 30)
    (True, True, False)
    """
    if shift > threshold:
        return True
    return changed_area >= RELIT_CHANGED_AREA and unexplained_area <= changed_area * RELIT_UNEXPLAINED
