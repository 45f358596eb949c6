"""`MotionBox`: the motion stage's currency type."""

from __future__ import annotations

from typing import NamedTuple


class MotionBox(NamedTuple):
    """An area of motion, `x1, y1, x2, y2` in detect-resolution frame pixels
    (x2/y2 exclusive). A NamedTuple so it also unpacks and compares as a plain tuple."""

    x1: int
    y1: int
    x2: int
    y2: int
