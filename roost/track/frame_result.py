"""`FrameResult`: what the camera process sends the main process for each processed frame."""

from __future__ import annotations

from dataclasses import dataclass

from roost.detect.region import Region
from roost.motion.box import MotionBox
from roost.track.tracked_object import TrackedObject


@dataclass(frozen=True)
class FrameResult:
    """One processed frame of a camera. `objects` are every tracked object after this frame
    (false positives included), `removed` the final snapshots of objects gone with it.
    `best_jpeg` is the full frame as JPEG when it became some object's best frame (objects
    whose `best.frame_time == frame_time`), else None: the main process makes snapshots
    from it without reading shared memory again."""

    camera: str
    frame_time: float
    motion_boxes: tuple[MotionBox, ...]
    regions: tuple[Region, ...]
    objects: tuple[TrackedObject, ...]
    removed: tuple[TrackedObject, ...]
    best_jpeg: bytes | None = None
