"""`Frame`: the capture stage's currency type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """One decoded picture of a camera, living in that camera's shared-memory ring.

    The pixels are not carried: they stay in slot `slot` of the ring as yuv420p, a
    `(height * 3 // 2, width)` uint8 array (Y plane, then U and V quarter planes), so a
    `Frame` is cheap to send between processes.
    """

    camera: str
    frame_time: float  # epoch seconds when the frame was read from ffmpeg
    height: int
    width: int
    slot: int
    sequence: int = 0  # the ring's running number of this frame (1, 2, ...); gaps are skipped frames
