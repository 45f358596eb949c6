"""Rendering and storing event snapshots on their own thread, so the frame-results thread
(events, counts, review items) never waits for image encoding or disk.

A job is one object's best frame, as the camera process decoded it (yuv420p). The writer
converts it once, then makes everything from those pixels: the annotated JPEG (published on
the hub as `BestSnapshot`, and stored when the camera's `snapshots` switch is on), the
clean WebP copy, the thumbnail, and the row's `has_snapshot`, `thumbnail` and `snapshot`
(the snapshot frame's own box, region, score, time) in one database write, so what the row
says always describes the stored picture.

Jobs are kept per object, newest wins: when encoding falls behind, an object's older best
frame is dropped for its newer one instead of queueing up.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from roost.config.root import RoostConfig
from roost.controls import CameraControls
from roost.events.event import BestSnapshot, EventSnapshot
from roost.events.snapshots import (
    SnapshotOptions, clean_webp, snapshot_jpeg, thumbnail_base64, thumbnail_jpeg, write_snapshot,
)
from roost.hub import Hub
from roost.store import Database
from roost.store.models import EventRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotJob:
    """Render the snapshot of `object_id` (a `label` on `camera`) from `yuv`, the yuv420p
    pixels of the frame `snapshot` describes. `final`: the object is gone."""

    object_id: str
    camera: str
    label: str
    yuv: npt.NDArray[np.uint8]
    snapshot: EventSnapshot
    final: bool = False


#: Called on the writer thread once a snapshot was rendered: (object id, what it shows,
#: whether files were stored).
Rendered = Callable[[str, EventSnapshot, bool], None]


class SnapshotWriter:
    def __init__(self, config: RoostConfig, database: Database, hub: Hub,
                 controls: Mapping[str, CameraControls], clips_dir: Path, on_rendered: Rendered,
                 make_room: Callable[[int], bool] | None = None) -> None:
        self.config = config
        self.database = database
        self.hub = hub
        self.controls = controls
        self.clips_dir = clips_dir
        self.on_rendered = on_rendered
        #: Asked before writing files of about n bytes: frees space below the floor, False
        #: when there is no room even then (the snapshot is published, not stored).
        self.make_room = make_room
        self._jobs: dict[str, SnapshotJob] = {}  # object id → newest job, oldest object first
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()
        self.rendered = 0
        self.superseded = 0  # jobs replaced by a newer best frame of the same object
        self._thread = threading.Thread(target=self._run, name="snapshot-writer", daemon=True)
        self._thread.start()

    def submit(self, job: SnapshotJob) -> None:
        with self._cond:
            if job.object_id in self._jobs:
                self.superseded += 1
                job = SnapshotJob(job.object_id, job.camera, job.label, job.yuv, job.snapshot,
                                  job.final or self._jobs.pop(job.object_id).final)
            self._jobs[job.object_id] = job
            self._cond.notify_all()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted job is done; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._jobs and not self._busy, timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Finish the submitted jobs, then end the thread."""
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._jobs or self._closed)
                if not self._jobs:
                    return
                object_id = next(iter(self._jobs))
                job = self._jobs.pop(object_id)
                self._busy = True
            try:
                self._render(job)
            except Exception:  # one bad frame must not stop the snapshots of every other object
                logger.exception("snapshot of %s on %s failed", job.object_id, job.camera)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _render(self, job: SnapshotJob) -> None:
        camera = self.config.cameras[job.camera]
        frame = np.asarray(cv2.cvtColor(job.yuv, cv2.COLOR_YUV2BGR_I420), np.uint8)
        shot = job.snapshot
        options = SnapshotOptions.from_config(camera.snapshots)
        zones = {n: z.coordinates for n, z in camera.zones.items()} if options.draw_zones else None
        jpeg = snapshot_jpeg(frame, shot.box, shot.region, job.label, shot.score, shot.frame_time, options, zones)
        self.hub.publish(BestSnapshot(job.camera, job.label, jpeg, job.object_id))
        controls = self.controls.get(job.camera)
        stored = controls is not None and controls.is_on("snapshots")
        if stored:
            clean = clean_webp(frame) if camera.snapshots.clean_copy else None
            stored = self._write(job, jpeg, clean)
        # The thumbnail lives in the row, so every event has one (as in Frigate), also when
        # the snapshot files are not kept (snapshots off, no room).
        thumbnail = thumbnail_base64(thumbnail_jpeg(frame, shot.region))
        self.database.writer.submit(functools.partial(
            _store_snapshot, event_id=job.object_id, thumbnail=thumbnail, snapshot=shot.to_json(), stored=stored))
        self.rendered += 1
        self.on_rendered(job.object_id, shot, stored)

    def _write(self, job: SnapshotJob, jpeg: bytes, clean: bytes | None) -> bool:
        """Write the snapshot files if there is room (after freeing some); True when stored."""
        size = len(jpeg) + len(clean or b"")
        if self.make_room is not None and not self.make_room(size):
            return _no_room(job, "the media volume is full")
        try:
            write_snapshot(self.clips_dir, job.camera, job.object_id, jpeg, clean)
        except OSError as error:
            return _no_room(job, str(error))
        return True


def _no_room(job: SnapshotJob, why: str) -> bool:
    logger.error("snapshot of %s on %s not stored: %s", job.object_id, job.camera, why)
    return False


def _store_snapshot(session: Session, event_id: str, thumbnail: str, snapshot: dict[str, Any],
                    stored: bool = True) -> None:
    row = session.get(EventRow, event_id)
    if row is not None:
        row.thumbnail = thumbnail
        if stored:
            row.has_snapshot = True
            row.snapshot = snapshot
