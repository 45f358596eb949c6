"""`Region`: a square of the frame sent to the detector."""

from __future__ import annotations

from typing import NamedTuple


class Region(NamedTuple):
    """A square area `x1, y1, x2, y2` in frame pixels (x2/y2 exclusive) that is cropped,
    resized to the model's input size and run through the detector."""

    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def size(self) -> int:
        return self.x2 - self.x1
