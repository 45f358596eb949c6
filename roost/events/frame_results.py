"""The main process's handling of each camera's `FrameResult`: events, motion, snapshots,
review items and the activity the recording maintainer counts per segment."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from roost.config.root import RoostConfig
from roost.controls import CameraControls
from roost.events.event import BestSnapshot
from roost.events.from_tracked import event_from_tracked
from roost.events.processor import EventProcessor
from roost.events.review import ReviewSegments
from roost.events.snapshots import (
    SnapshotOptions, clean_png, snapshot_jpeg, thumbnail_base64, thumbnail_jpeg, write_snapshot,
)
from roost.hub import Hub
from roost.store import Database
from roost.store.models import EventRow
from roost.track.frame_result import FrameResult
from roost.track.tracked_object import TrackedObject

logger = logging.getLogger(__name__)

#: An object's snapshot files are rewritten at most this often while it improves.
SNAPSHOT_INTERVAL_S = 1.0

ActivitySink = Callable[[str, float, bool, int], None]  # camera, frame_time, motion, active objects


@dataclass
class _Best:
    jpeg: bytes  # full frame
    obj: TrackedObject
    written_at: float = float("-inf")  # frame_time of the last snapshot written from it
    written: bool = False


class FrameResultHandler:
    def __init__(self, config: RoostConfig, database: Database, hub: Hub, processor: EventProcessor,
                 review: ReviewSegments, controls: Mapping[str, CameraControls], clips_dir: Path,
                 activity: ActivitySink | None = None) -> None:
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
        self.with_snapshot: set[str] = set()
        self.latest: dict[str, FrameResult] = {}

    def handle(self, result: FrameResult) -> None:
        camera = result.camera
        self.latest[camera] = result
        for obj in result.objects:
            if result.best_jpeg is not None and obj.best is not None and obj.best.frame_time == result.frame_time:
                self.best[obj.id] = _Best(result.best_jpeg, obj)
        for obj in result.objects:
            self._maybe_snapshot(obj.id, result.frame_time, final=False)
        for obj in result.removed:
            self._maybe_snapshot(obj.id, result.frame_time, final=True)
        live = [event_from_tracked(o, has_snapshot=o.id in self.with_snapshot) for o in result.objects]
        gone = [event_from_tracked(o, gone=True, has_snapshot=o.id in self.with_snapshot) for o in result.removed]
        self.processor.on_objects(camera, live, gone)
        self.processor.on_motion(camera, result.frame_time, bool(result.motion_boxes))
        if self.activity is not None:
            active = sum(1 for e in live if not e.false_positive and not e.stationary)
            self.activity(camera, result.frame_time, bool(result.motion_boxes), active)
        self.review.update(camera, result.frame_time, [e for e in live if not e.false_positive])
        for hook in self.after_frame:
            try:
                hook(result)
            except Exception:  # a failing add-on must not stop event bookkeeping
                logger.exception("frame hook %s failed on %s", getattr(hook, "__name__", hook), camera)
        for obj in result.removed:
            self.best.pop(obj.id, None)
            self.with_snapshot.discard(obj.id)

    def _maybe_snapshot(self, object_id: str, frame_time: float, final: bool) -> None:
        best = self.best.get(object_id)
        if best is None or best.obj.false_positive or best.obj.best is None:
            return
        fresh = best.obj.best.frame_time > best.written_at
        if not fresh or (not final and frame_time - best.written_at < SNAPSHOT_INTERVAL_S and best.written):
            return
        camera = self.config.cameras[best.obj.camera]
        decoded = cv2.imdecode(np.frombuffer(best.jpeg, np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            logger.warning("cannot decode the best frame of %s; no snapshot", object_id)
            return
        frame: npt.NDArray[np.uint8] = np.asarray(decoded, dtype=np.uint8)
        chosen = best.obj.best
        best.written_at, best.written = chosen.frame_time, True
        options = SnapshotOptions.from_config(camera.snapshots)
        jpeg = snapshot_jpeg(frame, chosen.box, tuple(chosen.region), best.obj.label, chosen.score,  # type: ignore[arg-type]
                             chosen.frame_time, options,
                             zones={n: z.coordinates for n, z in camera.zones.items()} if options.draw_zones else None)
        self.hub.publish(BestSnapshot(best.obj.camera, best.obj.label, jpeg))
        controls = self.controls.get(best.obj.camera)
        if controls is None or not controls.is_on("snapshots"):
            return
        png = clean_png(frame) if camera.snapshots.clean_copy else None
        write_snapshot(self.clips_dir, best.obj.camera, object_id, jpeg, png)
        self.with_snapshot.add(object_id)
        thumb = thumbnail_base64(thumbnail_jpeg(frame, tuple(chosen.region)))  # type: ignore[arg-type]
        self.database.writer.submit(functools.partial(_set_thumbnail, event_id=object_id, thumbnail=thumb))


def _set_thumbnail(session: Session, event_id: str, thumbnail: str) -> None:
    row = session.get(EventRow, event_id)
    if row is not None:
        row.thumbnail = thumbnail
        row.has_snapshot = True

