"""Review segments: consecutive activity on a camera grouped into one item to review.

Activity is a live, moving (not stationary), not-false-positive tracked object that
qualifies for review: an *alert* when its label is in `review.alerts.labels` and it is in
one of `review.alerts.required_zones` (any place when none are required), else a
*detection* when it matches `review.detections` the same way. An item starts with the
first active frame, becomes an alert as soon as any alert-worthy object appears (never
back), collects the event ids, labels, zones and sub labels it saw, and ends
`end_after_s` seconds after the last active frame (its end time is that last frame).

`ReviewGrouper` is pure (time comes in with each update); `ReviewSegments` stores the
changes as `ReviewSegmentRow`s and publishes them on the hub (MQTT `reviews` feed and
`<camera>/review_status`).
"""

from __future__ import annotations

import functools
import logging
import random
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.orm import Session

from roost.config.media import ReviewConfig
from roost.events.event import Event
from roost.hub import Hub
from roost.store import Database
from roost.store.models import ReviewSegmentRow

logger = logging.getLogger(__name__)

Severity = Literal["alert", "detection"]
ReviewChangeType = Literal["new", "update", "end"]
#: Seconds without activity that end an item (Frigate counts frames; this is the same idea in time).
REVIEW_END_AFTER_S = 5.0
#: An open item's `last_seen` (its last active frame) is written at least this often, so a
#: start after a crash ends it there (seconds of frame time).
LAST_SEEN_INTERVAL_S = 2.0


def new_review_id(start_time: float) -> str:
    """`<start epoch>.<6 decimals>-<6 random [a-z0-9]>`, the shape of event ids."""
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
    return f"{start_time:.6f}-{suffix}"


@dataclass(frozen=True)
class ReviewItem:
    """One review segment. Times are epoch seconds; `end_time` is None while open."""

    id: str
    camera: str
    start_time: float
    end_time: float | None
    severity: Severity
    detections: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    sub_labels: tuple[str, ...] = ()
    thumb_path: str | None = None

    def data(self) -> dict[str, Any]:
        """`ReviewSegmentRow.data` and the JSON `data` of the API and MQTT."""
        return {"detections": list(self.detections), "objects": list(self.objects),
                "zones": list(self.zones), "sub_labels": list(self.sub_labels)}

    def to_mqtt(self) -> dict[str, Any]:
        return {"id": self.id, "camera": self.camera, "start_time": self.start_time,
                "end_time": self.end_time, "severity": self.severity,
                "thumb_path": self.thumb_path, "data": self.data()}


@dataclass(frozen=True)
class ReviewChange:
    """One message of the `<prefix>/reviews` feed."""

    type: ReviewChangeType
    before: ReviewItem
    after: ReviewItem

    def to_mqtt(self) -> dict[str, Any]:
        return {"type": self.type, "before": self.before.to_mqtt(), "after": self.after.to_mqtt()}

    @property
    def review_status(self) -> Literal["NONE", "DETECTION", "ALERT"]:
        """`<prefix>/<camera>/review_status` after this change."""
        if self.type == "end":
            return "NONE"
        return "ALERT" if self.after.severity == "alert" else "DETECTION"


@dataclass(frozen=True)
class ReviewRules:
    """`review:` of one camera plus the run-time `review_alerts`/`review_detections` switches."""

    alert_labels: tuple[str, ...] | None = ("person", "car")
    alert_zones: tuple[str, ...] = ()
    detection_labels: tuple[str, ...] | None = None
    detection_zones: tuple[str, ...] = ()
    alerts_enabled: bool = True
    detections_enabled: bool = True
    end_after_s: float = REVIEW_END_AFTER_S

    @classmethod
    def from_config(cls, review: ReviewConfig, alerts_on: bool | None = None,
                    detections_on: bool | None = None) -> "ReviewRules":
        def labels(value: list[str] | None) -> tuple[str, ...] | None:
            return None if value is None else tuple(value)
        return cls(alert_labels=labels(review.alerts.labels), alert_zones=tuple(review.alerts.required_zones),
                   detection_labels=labels(review.detections.labels),
                   detection_zones=tuple(review.detections.required_zones),
                   alerts_enabled=review.alerts.enabled if alerts_on is None else alerts_on,
                   detections_enabled=review.detections.enabled if detections_on is None else detections_on)


def _matches(event: Event, labels: tuple[str, ...] | None, zones: tuple[str, ...]) -> bool:
    if labels is not None and event.label not in labels:
        return False
    return not zones or bool(set(zones) & set(event.current_zones))


def severity_of(event: Event, rules: ReviewRules) -> Severity | None:
    """What this object makes of the current frame: alert, detection or nothing (not active)."""
    if event.end_time is not None or event.false_positive or event.stationary:
        return None
    if rules.alerts_enabled and _matches(event, rules.alert_labels, rules.alert_zones):
        return "alert"
    if rules.detections_enabled and _matches(event, rules.detection_labels, rules.detection_zones):
        return "detection"
    return None


def _merged(values: Iterable[str], more: Iterable[str]) -> tuple[str, ...]:
    """`values` then the new ones of `more`, first-seen order, no repeats."""
    return tuple(dict.fromkeys([*values, *more]))


class ReviewGrouper:
    """Groups one camera's activity into review items. Not thread-safe: one caller per camera."""

    def __init__(self, camera: str, rules: ReviewRules,
                 new_id: Callable[[float], str] = new_review_id) -> None:
        self.camera = camera
        self.rules = rules
        self._new_id = new_id
        self.current: ReviewItem | None = None
        self._last_active = 0.0

    def update(self, frame_time: float, events: Sequence[Event]) -> list[ReviewChange]:
        """Feed one processed frame (`frame_time` epoch s) and the camera's current events."""
        active = [(e, s) for e in events if (s := severity_of(e, self.rules)) is not None]
        item = self.current
        if not active:
            if item is not None and frame_time - self._last_active >= self.rules.end_after_s:
                ended = replace(item, end_time=self._last_active)
                self.current = None
                return [ReviewChange("end", item, ended)]
            return []
        self._last_active = frame_time
        severity: Severity = "alert" if any(s == "alert" for _, s in active) else "detection"
        if item is None:
            item = ReviewItem(id=self._new_id(frame_time), camera=self.camera,
                              start_time=frame_time, end_time=None, severity=severity)
            self.current = self._grown(item, active)
            return [ReviewChange("new", self.current, self.current)]
        grown = self._grown(replace(item, severity="alert" if "alert" in (item.severity, severity) else "detection"),
                            active)
        if grown == item:
            return []
        self.current = grown
        return [ReviewChange("update", item, grown)]

    @property
    def last_active(self) -> float:
        """Frame time of the last active frame (epoch s)."""
        return self._last_active

    def end_now(self) -> list[ReviewChange]:
        """End the open item at its last active frame (the camera stopped)."""
        item = self.current
        if item is None:
            return []
        self.current = None
        return [ReviewChange("end", item, replace(item, end_time=self._last_active))]

    @staticmethod
    def _grown(item: ReviewItem, active: Sequence[tuple[Event, Severity]]) -> ReviewItem:
        events = [e for e, _ in active]
        return replace(
            item,
            detections=_merged(item.detections, (e.id for e in events)),
            objects=_merged(item.objects, (e.label for e in events)),
            zones=_merged(item.zones, (z for e in events for z in e.entered_zones)),
            sub_labels=_merged(item.sub_labels, (e.sub_label[0] for e in events if e.sub_label)))


def group_review_items(camera: str, rules: ReviewRules, frames: Iterable[tuple[float, Sequence[Event]]],
                       new_id: Callable[[float], str] = new_review_id) -> list[ReviewItem]:
    """Every item a sequence of (frame_time, events) produces, the last one possibly open."""
    grouper = ReviewGrouper(camera, rules, new_id)
    items: dict[str, ReviewItem] = {}
    for frame_time, events in frames:
        for change in grouper.update(frame_time, events):
            items[change.after.id] = change.after
    return list(items.values())


def _store_item(session: Session, item: ReviewItem, last_seen: float | None = None) -> None:
    """Insert or update the item's row; `has_been_reviewed` (set by the API) is left alone."""
    values = review_row_values(item)
    values["last_seen"] = item.end_time if item.end_time is not None else last_seen
    session.merge(ReviewSegmentRow(**values))


def _set_last_seen(session: Session, item_id: str, last_seen: float) -> None:
    session.execute(update(ReviewSegmentRow).where(ReviewSegmentRow.id == item_id,
                                                   ReviewSegmentRow.end_time.is_(None)).values(last_seen=last_seen))


def review_row_values(item: ReviewItem) -> dict[str, Any]:
    return {"id": item.id, "camera": item.camera, "start_time": item.start_time,
            "end_time": item.end_time, "severity": item.severity,
            "thumb_path": item.thumb_path, "data": item.data()}


class ReviewSegments:
    """The review stage of the main process: one grouper per camera, each change stored
    (insert or update of its row) and then published on the hub as a `ReviewChange`."""

    def __init__(self, database: Database, hub: Hub | None, rules: Mapping[str, ReviewRules]) -> None:
        self.database = database
        self.hub = hub
        self.groupers = {camera: ReviewGrouper(camera, r) for camera, r in rules.items()}
        self._last_seen_written: dict[str, float] = {}

    def set_rules(self, camera: str, rules: ReviewRules) -> None:
        """Apply changed switches (`review_alerts` / `review_detections`) from now on."""
        self.groupers[camera].rules = rules

    def update(self, camera: str, frame_time: float, events: Sequence[Event]) -> list[ReviewChange]:
        grouper = self.groupers[camera]
        changes = grouper.update(frame_time, events)
        self._store(changes, grouper.last_active)
        item = grouper.current
        if item is not None and not changes and \
                grouper.last_active - self._last_seen_written.get(camera, float("-inf")) >= LAST_SEEN_INTERVAL_S:
            self._last_seen_written[camera] = grouper.last_active
            self.database.writer.submit(functools.partial(_set_last_seen, item_id=item.id,
                                                          last_seen=grouper.last_active))
        return changes

    def end_all(self, camera: str | None = None) -> list[ReviewChange]:
        """End the open items (of one camera) at their last active frame: the camera's
        process stopped, or Roost is stopping."""
        changes = [c for name, g in self.groupers.items() if camera in (None, name) for c in g.end_now()]
        self._store(changes, None)
        return changes

    def _store(self, changes: Sequence[ReviewChange], last_seen: float | None) -> None:
        for change in changes:
            # waited for (the row exists when the change is published), unless the disk is full
            self.database.write_unless_held(functools.partial(_store_item, item=change.after, last_seen=last_seen))
            if change.after.end_time is None and last_seen is not None:
                self._last_seen_written[change.after.camera] = last_seen
            if self.hub is not None:
                self.hub.publish(change)
