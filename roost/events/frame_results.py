"""The main process's handling of each camera's `FrameResult`: events, motion, snapshots,
review items and the activity the recording maintainer counts per segment.

Snapshots: an object's best frame arrives once as decoded pixels (`FrameResult.best_frames`);
it is handed to the `SnapshotWriter` thread at most once per `SNAPSHOT_INTERVAL_S` of frame
time while it keeps improving, and always when the object is gone (its final snapshot).
An event says `has_snapshot` once its snapshot files exist, and its `snapshot` describes
the picture last rendered, never a newer best frame that is not drawn yet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from roost.config.root import RoostConfig
from roost.controls import CameraControls
from roost.events.event import Event, EventSnapshot
from roost.events.from_tracked import event_from_tracked, snapshot_of
from roost.events.processor import EventProcessor
from roost.events.review import ReviewSegments
from roost.events.snapshot_writer import SnapshotJob, SnapshotWriter
from roost.hub import Hub
from roost.store import Database
from roost.track.frame_result import FrameResult
from roost.track.tracked_object import TrackedObject

logger = logging.getLogger(__name__)

#: An object's snapshot is re-rendered at most this often (frame time) while it improves.
SNAPSHOT_INTERVAL_S = 1.0

ActivitySink = Callable[[str, float, bool, int], None]  # camera, frame_time, motion, active objects


@dataclass
class _Best:
    """An object's best frame so far and when a snapshot was last scheduled from it."""

    obj: TrackedObject  # the object as last seen
    yuv: npt.NDArray[np.uint8] | None  # pixels of shot_obj.best, None until some arrived
    #: The object as it was when its best frame was the one `yuv` shows: a newer best whose
    #: pixels never came (a result dropped under load) leaves the snapshot on this one.
    shot_obj: TrackedObject | None = None
    scheduled_from: float = float("-inf")  # best.frame_time of the last snapshot scheduled
    scheduled_at: float = float("-inf")  # frame time it was scheduled at (the throttle)


class FrameResultHandler:
    def __init__(self, config: RoostConfig, database: Database, hub: Hub, processor: EventProcessor,
                 review: ReviewSegments, controls: Mapping[str, CameraControls], clips_dir: Path,
                 activity: ActivitySink | None = None, make_room: Callable[[int], bool] | None = None) -> None:
        self.config = config
        self.database = database
        self.hub = hub
        self.processor = processor
        self.review = review
        self.controls = controls
        self.clips_dir = clips_dir
        self.activity = activity
        self.after_frame: list[Callable[[FrameResult], None]] = []  # e.g. run-time classifiers
        self.best: dict[str, _Best] = {}
        self.latest: dict[str, FrameResult] = {}
        self._lock = threading.Lock()  # guards the two below, written by the snapshot writer
        self.with_snapshot: set[str] = set()  # objects whose snapshot files exist
        self.rendered: dict[str, EventSnapshot] = {}  # what each object's last snapshot shows
        self.writer = SnapshotWriter(config, database, hub, controls, clips_dir, self._on_rendered, make_room)

    def handle(self, result: FrameResult) -> None:
        camera = result.camera
        self.latest[camera] = result
        for obj in result.objects:
            self._note_best(obj, result)
        for obj in result.removed:
            self._note_best(obj, result)
        with self._lock:
            live = [self._event(o) for o in result.objects]
            gone = [self._event(o, gone=True) for o in result.removed]
        self.processor.on_objects(camera, live, gone)
        self.processor.on_motion(camera, result.frame_time, bool(result.motion_boxes))
        if self.activity is not None:
            active = sum(1 for e in live if not e.false_positive and not e.stationary)
            self.activity(camera, result.frame_time, bool(result.motion_boxes), active)
        self.review.update(camera, result.frame_time, [e for e in live if not e.false_positive])
        # after the events: their rows exist when the writer stores has_snapshot
        for obj in result.objects:
            self._maybe_snapshot(obj.id, result.frame_time, final=False)
        for obj in result.removed:
            self._maybe_snapshot(obj.id, result.frame_time, final=True)
            self._forget(obj.id)
        for hook in self.after_frame:
            try:
                hook(result)
            except Exception:  # a failing add-on must not stop event bookkeeping
                logger.exception("frame hook %s failed on %s", getattr(hook, "__name__", hook), camera)

    def end_camera(self, camera: str) -> None:
        """The camera's process died (it restarts with a new tracker) or Roost stops: give
        its objects their final snapshots, end their events at the last time each was seen,
        and end its open review item."""
        for object_id in [i for i, b in self.best.items() if b.obj.camera == camera]:
            self._maybe_snapshot(object_id, float("inf"), final=True)
            self._forget(object_id)
        self.processor.end_all(camera)
        self.review.end_all(camera)
        self.latest.pop(camera, None)

    def finish(self) -> None:
        """Roost is stopping (the camera processes are gone): end everything still open and
        wait for the snapshots being written."""
        for camera in self.config.cameras:
            self.end_camera(camera)
        self.writer.close()

    def _event(self, obj: TrackedObject, gone: bool = False) -> Event:
        return event_from_tracked(obj, gone=gone, has_snapshot=obj.id in self.with_snapshot,
                                  snapshot=self.rendered.get(obj.id))

    def _note_best(self, obj: TrackedObject, result: FrameResult) -> None:
        entry = self.best.get(obj.id)
        if obj.best is None:
            if entry is not None:
                entry.obj = obj
            return
        shown = entry.shot_obj.best if entry is not None and entry.shot_obj is not None else None
        if entry is not None and shown is not None and shown.frame_time == obj.best.frame_time:
            entry.obj = obj  # its pixels are here already
            return
        pixels = result.pixels_at(obj.best.frame_time)
        if entry is None:
            entry = self.best[obj.id] = _Best(obj, None)
        entry.obj = obj
        if pixels is not None:
            entry.yuv, entry.shot_obj = pixels, obj
        else:
            logger.debug("no pixels for the best frame of %s at %.3f", obj.id, obj.best.frame_time)

    def _maybe_snapshot(self, object_id: str, frame_time: float, final: bool) -> None:
        entry = self.best.get(object_id)
        if entry is None or entry.yuv is None or entry.shot_obj is None or entry.obj.false_positive:
            return
        shot = snapshot_of(entry.shot_obj)
        if shot is None or shot.frame_time <= entry.scheduled_from:
            return  # nothing newer than what was scheduled
        if not final and frame_time - entry.scheduled_at < SNAPSHOT_INTERVAL_S:
            return
        entry.scheduled_from, entry.scheduled_at = shot.frame_time, frame_time
        self.writer.submit(SnapshotJob(object_id, entry.obj.camera, entry.obj.label, entry.yuv, shot, final))

    def _forget(self, object_id: str) -> None:
        self.best.pop(object_id, None)
        with self._lock:
            self.with_snapshot.discard(object_id)
            self.rendered.pop(object_id, None)

    def _on_rendered(self, object_id: str, snapshot: EventSnapshot, stored: bool) -> None:
        """Snapshot-writer callback: remember what the object's snapshot shows (for objects
        still tracked; a gone object's row was updated by the writer itself)."""
        if object_id not in self.best:
            return
        with self._lock:
            self.rendered[object_id] = snapshot
            if stored:
                self.with_snapshot.add(object_id)
