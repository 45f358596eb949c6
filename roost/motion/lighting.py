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
    # Python lists for the few interpolation points: numpy's per-call overhead would cost
    # more than the work on 9 values
    frame = [float(v) for v in frame_levels.tolist()]
    background = [float(v) for v in background_levels.tolist()]
    xp = [0.0, *frame, 255.0]
    for index in range(1, len(xp)):  # strictly increasing, as np.interp needs
        xp[index] = max(xp[index], xp[index - 1] + _TIE_BREAK)
    fp = [min(max(background[0] - frame[0], 0.0), background[0]), *background,
          min(max(255.0 + background[-1] - frame[-1], background[-1]), 255.0)]
    table: npt.NDArray[np.uint8] = (np.interp(_LEVELS, xp, fp) + 0.5).astype(np.uint8)
    return table


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
    shifts = sorted(abs(a - b) for a, b in zip(frame_levels.tolist(), background_levels.tolist()))
    middle = len(shifts) // 2
    return float(shifts[middle] if len(shifts) % 2 else (shifts[middle - 1] + shifts[middle]) / 2)


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
