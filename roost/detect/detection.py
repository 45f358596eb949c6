"""`Detection`: the detector stage's currency type."""

from __future__ import annotations

from dataclasses import dataclass

from roost.detect.region import Region


@dataclass(frozen=True)
class Detection:
    """One object found by the detector in one frame.

    `box` is `x1, y1, x2, y2` in detect-resolution frame pixels; `area` is the box's
    width * height in pixels and `ratio` its width / height (Frigate's filter inputs);
    `region` is the square that was run through the model to find it.
    """

    label: str
    score: float
    box: tuple[int, int, int, int]
    area: int
    ratio: float
    region: Region
