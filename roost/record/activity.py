"""`ActivityLog`: what the camera pipeline saw per frame, kept until the segments covering
those frames are indexed, so each recording row carries its motion and object counts
(what retention modes `motion` and `active_objects` decide on)."""

from __future__ import annotations

import collections
import threading

#: Frames older than this are dropped even if no segment claimed them (recording off).
KEEP_ACTIVITY_S = 3600.0


class ActivityLog:
    """Thread-safe; `note` is cheap (an append) so it can be called for every frame.
    Only frames with motion or active objects are stored; quiet frames count as zero."""

    def __init__(self) -> None:
        self._frames: dict[str, collections.deque[tuple[float, bool, int]]] = {}
        self._lock = threading.Lock()

    def note(self, camera: str, frame_time: float, motion: bool, active_objects: int) -> None:
        """Record one processed frame (`frame_time` epoch s; `active_objects` = tracked,
        non-stationary objects in it)."""
        if not motion and active_objects <= 0:
            return
        with self._lock:
            frames = self._frames.setdefault(camera, collections.deque())
            frames.append((frame_time, motion, active_objects))
            while frames and frames[0][0] < frame_time - KEEP_ACTIVITY_S:
                frames.popleft()

    def counts(self, camera: str, start: float, end: float) -> tuple[int, int]:
        """(frames with motion, frames with active objects) with `start <= frame_time < end`."""
        with self._lock:
            frames = list(self._frames.get(camera, ()))
        inside = [f for f in frames if start <= f[0] < end]
        return sum(1 for f in inside if f[1]), sum(1 for f in inside if f[2] > 0)

    def forget_before(self, camera: str, moment: float) -> None:
        """Drop frames before `moment` (epoch s): their segments are indexed."""
        with self._lock:
            frames = self._frames.get(camera)
            while frames and frames[0][0] < moment:
                frames.popleft()
