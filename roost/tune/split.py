"""The held-out split: the latest verified frames by capture time are kept out of training
and score the base and the tuned model, so the score says how the model does on what the
camera sees next, not on near-copies of its training frames (neighbouring frames of one
clip are nearly the same picture)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, TypeVar

#: Share of the verified frames held out (the latest ones), at least `MIN_HELD_OUT`.
HELD_OUT_FRACTION = 0.2
MIN_HELD_OUT = 2


class Timed(Protocol):
    @property
    def frame_time(self) -> float: ...


T = TypeVar("T", bound=Timed)


def split_by_time(frames: Sequence[T], fraction: float = HELD_OUT_FRACTION) -> tuple[list[T], list[T]]:
    """`(train, held_out)`: the last `ceil(fraction * n)` frames by `frame_time` (at least
    `MIN_HELD_OUT`, always leaving one to train) are held out; each part oldest first.

    >>> from types import SimpleNamespace as F
    >>> train, held = split_by_time([F(frame_time=t) for t in (5, 1, 3, 2, 4, 9, 7, 8, 6, 10)])
    >>> [f.frame_time for f in train], [f.frame_time for f in held]
    ([1, 2, 3, 4, 5, 6, 7, 8], [9, 10])
    """
    ordered = sorted(frames, key=lambda f: f.frame_time)
    if len(ordered) < 2:
        return list(ordered), []
    held = min(max(math.ceil(fraction * len(ordered)), MIN_HELD_OUT), len(ordered) - 1)
    return ordered[:-held], ordered[-held:]
