"""`Box`: the one rectangle type every stage passes around (detections, tracked objects,
events, snapshots, overlays): `(x1, y1, x2, y2)` in detect-frame pixels, x2/y2 exclusive.
`Region` (detector input squares) and `MotionBox` are named tuples of the same layout."""

from __future__ import annotations

from collections.abc import Sequence

Box = tuple[int, int, int, int]


def as_box(values: Sequence[float]) -> Box:
    """Any 4-sequence (a `Region`, a JSON list, numpy values) as a plain `Box` of ints.

    >>> as_box([1.0, 2, 3.9, 4])
    (1, 2, 3, 4)
    """
    if len(values) != 4:
        raise ValueError(f"a box has 4 values (x1, y1, x2, y2), not {len(values)}")
    return (int(values[0]), int(values[1]), int(values[2]), int(values[3]))
