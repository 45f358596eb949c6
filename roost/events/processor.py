"""Main-process side of events: each camera's tracked objects become `Event` changes,
written through the single database writer and published on the hub (MQTT, websocket)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session

from roost.config.root import RoostConfig
from roost.events.counts import count_changes, count_objects
from roost.events.event import Event, EventChange, MotionChange
from roost.events.lifecycle import change_type
from roost.events.rows import event_row_values
from roost.hub import Hub
from roost.store import Database
from roost.store.models import EventRow

logger = logging.getLogger(__name__)

#: Columns other parts own once the row exists: the API and classifiers set sub labels,
#: recording sets has_clip, the user sets retain, the snapshot writer sets `snapshot`
#: (with the files it describes).
UPDATE_SKIPS = ("id", "has_clip", "sub_label", "sub_label_score", "snapshot")
#: Open events' `last_seen` is written at least this often (seconds of frame time), so a
#: start after a crash ends them within this of the last time they were seen.
LAST_SEEN_INTERVAL_S = 2.0


class EventProcessor:
    def __init__(self, config: RoostConfig, database: Database, hub: Hub,
                 on_end: Callable[[Event], None] | None = None) -> None:
        self.config = config
        self.database = database
        self.hub = hub
        self.on_end = on_end  # e.g. clip assembly and snapshot files, called off the lock
        self.active: dict[str, Event] = {}
        self.counts: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}
        self.motion: dict[str, bool] = {}
        self.last_motion: dict[str, float] = {}
        self._last_seen_written: dict[str, float] = {}  # camera → frame time of the last write
        self._lock = threading.Lock()

    def in_progress(self) -> set[str]:
        """Ids of the events being tracked now (open rows of a dead run are not among them)."""
        with self._lock:
            return set(self.active)

    def on_objects(self, camera: str, live: list[Event], gone: list[Event]) -> None:
        """One processed frame of `camera`: every tracked object (as Event snapshots, false
        positives included) and the objects that disappeared with this frame."""
        ended: list[Event] = []
        with self._lock:
            for current, is_gone in [*((e, False) for e in live), *((e, True) for e in gone)]:
                prior = self.active.get(current.id)
                if prior is not None:
                    current = _carry_classification(prior, current)
                kind = change_type(prior, current, is_gone)
                if kind is None:
                    if prior is not None:
                        self.active[current.id] = current
                    continue
                write = _insert_row if kind == "new" else _update_row
                self.database.writer.submit(functools.partial(write, event=current))
                self.hub.publish(EventChange(kind, prior or current, current))
                if kind == "end":
                    self.active.pop(current.id, None)
                    ended.append(current)
                else:
                    self.active[current.id] = current
            self._publish_counts(camera)
            self._write_last_seen(camera, live)
        for event in ended:
            if self.on_end is not None:
                self.on_end(event)

    def set_sub_label(self, event_id: str, name: str, score: float) -> bool:
        """A classifier's sub label for a live event, unless one is already set (by the API
        or an earlier source, which win). True when it was applied."""
        with self._lock:
            prior = self.active.get(event_id)
            if prior is None or prior.sub_label is not None:
                return False
            self._apply(prior, dataclasses.replace(prior, sub_label=(name, score)))
        self.database.writer.submit(functools.partial(_set_row_sub_label, event_id=event_id, name=name, score=score))
        return True

    def set_attribute(self, event_id: str, name: str, score: float) -> bool:
        """Add `name` (e.g. `helmet: yes`) to a live event's attributes."""
        with self._lock:
            prior = self.active.get(event_id)
            if prior is None:
                return False
            self._apply(prior, dataclasses.replace(prior, attributes={**prior.attributes, name: score}))
        return True

    def _apply(self, prior: Event, current: Event) -> None:
        """Store and publish an update made outside the frame loop (caller holds the lock)."""
        self.active[current.id] = current
        self.database.writer.submit(functools.partial(_update_row, event=current))
        self.hub.publish(EventChange("update", prior, current))

    def on_motion(self, camera: str, frame_time: float, has_motion: bool) -> None:
        """`<camera>/motion` ON at once, OFF after `motion.mqtt_off_delay` quiet seconds."""
        if has_motion:
            self.last_motion[camera] = frame_time
        delay = self.config.cameras[camera].motion.mqtt_off_delay
        on = has_motion or frame_time - self.last_motion.get(camera, float("-inf")) < delay
        if self.motion.get(camera) != on:
            self.motion[camera] = on
            self.hub.publish(MotionChange(camera, on))

    def end_all(self, camera: str | None = None, end_time: float | None = None) -> None:
        """End every open event (of one camera): its process stopped or Roost is stopping."""
        with self._lock:
            targets = [e for e in self.active.values() if camera is None or e.camera == camera]
        ended = [dataclasses.replace(e, end_time=end_time or e.frame_time) for e in targets]
        for cam in {e.camera for e in ended}:
            self.on_objects(cam, [], [e for e in ended if e.camera == cam])

    def _write_last_seen(self, camera: str, live: list[Event]) -> None:
        """Every LAST_SEEN_INTERVAL_S, store when the camera's open events were last seen
        (caller holds the lock)."""
        if not live:
            return
        now = max(e.frame_time for e in live)
        if now - self._last_seen_written.get(camera, float("-inf")) < LAST_SEEN_INTERVAL_S:
            return
        self._last_seen_written[camera] = now
        seen = {e.id: e.frame_time for e in self.active.values() if e.camera == camera}
        if seen:
            self.database.writer.submit(functools.partial(_set_last_seen, seen=seen))

    def _publish_counts(self, camera: str) -> None:
        cam = self.config.cameras[camera]
        after = count_objects(camera, [e for e in self.active.values() if e.camera == camera],
                              cam.objects.track, cam.zones)
        for change in count_changes(self.counts.get(camera, {}), after):
            self.hub.publish(change)
        self.counts[camera] = after


def _carry_classification(prior: Event, current: Event) -> Event:
    """Sub labels and attributes come from classifiers and the API, not from the tracker's
    snapshot of the next frame: keep them."""
    changes: dict[str, object] = {}
    if prior.sub_label and not current.sub_label:
        changes["sub_label"] = prior.sub_label
    if prior.attributes:
        changes["attributes"] = {**prior.attributes, **current.attributes}
    return dataclasses.replace(current, **changes) if changes else current  # type: ignore[arg-type]


def _set_row_sub_label(session: Session, event_id: str, name: str, score: float) -> None:
    row = session.get(EventRow, event_id)
    if row is not None and row.sub_label is None:
        row.sub_label, row.sub_label_score = name, score


def _set_last_seen(session: Session, seen: dict[str, float]) -> None:
    for event_id, frame_time in seen.items():
        session.execute(update(EventRow).where(EventRow.id == event_id, EventRow.end_time.is_(None))
                        .values(last_seen=frame_time))


def _insert_row(session: Session, event: Event) -> None:
    session.add(EventRow(**event_row_values(event)))


def _update_row(session: Session, event: Event) -> None:
    row = session.get(EventRow, event.id)
    if row is None:
        session.add(EventRow(**event_row_values(event)))
        return
    for key, value in event_row_values(event).items():
        if key in UPDATE_SKIPS and not (key.startswith("sub_label") and event.sub_label):
            continue
        if key == "has_snapshot" and not value:
            continue  # set by the snapshot writer, which may be ahead of this event's view
        setattr(row, key, value)
