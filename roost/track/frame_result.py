"""`FrameResult`: what the camera process sends the main process for each processed frame."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from roost.detect.region import Region
from roost.motion.box import MotionBox
from roost.track.tracked_object import TrackedObject


@dataclass(frozen=True)
class FramePixels:
    """A decoded frame as the camera process read it: yuv420p, `(height * 3 // 2, width)`
    uint8, taken at `frame_time` (epoch s). Sent as is (no lossy encoding), once, for a
    frame that became some object's best frame: snapshots and clean copies are made from it."""

    frame_time: float
    yuv: npt.NDArray[np.uint8]


@dataclass(frozen=True)
class FrameResult:
    """One processed frame of a camera. `objects` are every tracked object after this frame
    (false positives included), `removed` the final snapshots of objects gone with it.
    `best_frames` hold the pixels of the frames that objects' `best.frame_time` point at
    and that were not sent before: this frame's when it became some object's best frame,
    plus older ones when results were coalesced (`coalesced`)."""

    camera: str
    frame_time: float
    motion_boxes: tuple[MotionBox, ...]
    regions: tuple[Region, ...]
    objects: tuple[TrackedObject, ...]
    removed: tuple[TrackedObject, ...]
    best_frames: tuple[FramePixels, ...] = ()

    def pixels_at(self, frame_time: float) -> npt.NDArray[np.uint8] | None:
        """The yuv420p pixels sent for `frame_time`, if any."""
        return next((p.yuv for p in self.best_frames if p.frame_time == frame_time), None)


def coalesced(older: FrameResult, newer: FrameResult) -> FrameResult:
    """One result standing for `older` then `newer` (same camera), for a camera process
    that could not hand `older` over in time: `newer`'s objects, motion and regions, the
    objects removed by either, and the best frames either sent that an object still points
    at. Nothing the main process needs is lost: an object gone in `older` still ends and
    gets its final snapshot.

    >>> a = FrameResult("c", 1.0, (), (), (), ())
    >>> coalesced(a, FrameResult("c", 2.0, (), (), (), ())).frame_time
    2.0
    """
    wanted = {o.best.frame_time for o in (*newer.objects, *older.removed, *newer.removed) if o.best is not None}
    frames = {p.frame_time: p for p in (*older.best_frames, *newer.best_frames) if p.frame_time in wanted}
    gone_later = {o.id for o in newer.removed}
    removed = (*(o for o in older.removed if o.id not in gone_later), *newer.removed)
    return replace(newer, removed=removed, best_frames=tuple(frames[t] for t in sorted(frames)))
