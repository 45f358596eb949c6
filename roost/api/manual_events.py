"""Events clients create (`POST /api/events/<camera>/<label>/create`): a row in the
database, a snapshot of the camera's latest frame when there is one, and the same
`EventChange` messages (new, end) the pipeline's events produce."""

from __future__ import annotations

import logging
import random
import string
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from roost.api.context import LatestFrame
from roost.events.event import Event, EventChange
from roost.events.snapshots import SnapshotOptions, clean_webp, snapshot_jpeg, thumbnail_base64, thumbnail_jpeg, write_snapshot
from roost.hub import Hub
from roost.store import Database
from roost.store.models import EventRow

logger = logging.getLogger(__name__)

#: `data.type` of events created through the API (Frigate's value).
MANUAL_TYPE = "api"


def new_event_id(start_time: float) -> str:
    """`<start epoch>.<6 decimals>-<6 random [a-z0-9]>`, the shape of pipeline event ids."""
    return f"{start_time:.6f}-{''.join(random.choices(string.ascii_lowercase + string.digits, k=6))}"


def _event_of(row: EventRow) -> Event:
    x1, y1, x2, y2 = (int(v) for v in (row.box or (0, 0, 0, 0)))
    box = (x1, y1, x2, y2)
    return Event(id=row.id, camera=row.camera, label=row.label, frame_time=row.end_time or row.start_time,
                 start_time=row.start_time, end_time=row.end_time, score=row.score or 0.0,
                 top_score=row.top_score or 0.0, false_positive=False, box=box,
                 area=row.area or 0, ratio=row.ratio or 0.0, region=box,
                 sub_label=(row.sub_label, row.sub_label_score or 0.0) if row.sub_label else None,
                 has_clip=row.has_clip, has_snapshot=row.has_snapshot)


class StoredManualEvents:
    """The default `ManualEvents`: stores and publishes; a `duration` ends the event later."""

    def __init__(self, database: Database, hub: Hub, clips_dir: Path,
                 latest_frame: Callable[[str], LatestFrame | None]) -> None:
        self.database = database
        self.hub = hub
        self.clips_dir = clips_dir
        self.latest_frame = latest_frame
        self._timers: dict[str, threading.Timer] = {}

    def create(self, camera: str, label: str, sub_label: str | None, score: float,
               duration: float | None, include_recording: bool) -> str:
        start = time.time()
        event_id = new_event_id(start)
        frame = self.latest_frame(camera)
        row = EventRow(id=event_id, camera=camera, label=label, sub_label=sub_label,
                       sub_label_score=score if sub_label else None, start_time=start, end_time=None,
                       top_score=score, score=score, false_positive=False, zones=[], has_clip=include_recording,
                       has_snapshot=False, retain_indefinitely=False, data={"type": MANUAL_TYPE, "score": score, "top_score": score,
                             "box": None, "region": None, "attributes": []})
        if frame is not None:
            height, width = frame.image.shape[:2]
            whole = (0, 0, width, height)
            row.box, row.region, row.area, row.ratio = list(whole), list(whole), width * height, width / height
            jpeg = snapshot_jpeg(frame.image, whole, whole, label, None, frame.frame_time,
                                 SnapshotOptions(bounding_box=False))
            write_snapshot(self.clips_dir, camera, event_id, jpeg, clean_webp(frame.image))
            row.thumbnail = thumbnail_base64(thumbnail_jpeg(frame.image, whole))
            row.has_snapshot = True
            row.snapshot = {"frame_time": frame.frame_time, "box": list(whole), "area": width * height,
                            "region": list(whole), "score": score, "attributes": []}
        self.database.write(lambda session: session.add(row))
        event = _event_of(row)
        self.hub.publish(EventChange("new", event, event))
        if duration is not None:
            timer = threading.Timer(duration, self.end, args=(event_id, start + duration))
            timer.daemon = True
            self._timers[event_id] = timer
            timer.start()
        logger.info("manual event %s created on %s (%s)", event_id, camera, label)
        return event_id

    def end(self, event_id: str, end_time: float) -> bool:
        timer = self._timers.pop(event_id, None)
        if timer is not None:
            timer.cancel()

        def close(session: Session) -> tuple[Event, Event] | None:
            row = session.get(EventRow, event_id)
            if row is None or row.end_time is not None or (row.data or {}).get("type") != MANUAL_TYPE:
                return None
            before = _event_of(row)
            row.end_time = max(end_time, row.start_time)
            return before, _event_of(row)

        changed = self.database.write(close)
        if changed is None:
            return False
        self.hub.publish(EventChange("end", *changed))
        return True
