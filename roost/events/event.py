"""`Event`: the event stage's currency type, and the change messages it emits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from roost.box import Box


@dataclass(frozen=True)
class EventSnapshot:
    """Where the object was in the frame its snapshot was taken from: that frame's time
    (epoch s), the detection's `box`, `area`, `region` and `score`, and the object's
    attributes then (`[{"label", "score"}]`). The event's own `box` is the object's latest
    one, usually from another frame: crop and draw snapshots with these (Frigate's
    `snapshot` object)."""

    frame_time: float
    box: Box
    area: int
    region: Box
    score: float
    attributes: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"frame_time": self.frame_time, "box": list(self.box), "area": self.area,
                "region": list(self.region), "score": self.score, "attributes": list(self.attributes)}


@dataclass(frozen=True)
class Event:
    """A tracked object once it is not a false positive, in the shape Frigate's clients
    read (CONTRACT.md "Event JSON"). Boxes are `[x1, y1, x2, y2]` in detect-frame pixels;
    times are epoch seconds. `sub_label` is `(name, score)` or None."""

    id: str
    camera: str
    label: str
    frame_time: float
    start_time: float
    end_time: float | None
    score: float
    top_score: float
    false_positive: bool
    box: Box
    area: int
    ratio: float
    region: Box
    stationary: bool = False
    motionless_count: int = 0
    position_changes: int = 0
    current_zones: tuple[str, ...] = ()
    entered_zones: tuple[str, ...] = ()
    sub_label: tuple[str, float] | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    current_attributes: tuple[dict[str, Any], ...] = ()
    has_clip: bool = False
    has_snapshot: bool = False
    snapshot: EventSnapshot | None = None

    @property
    def active(self) -> bool:
        """In progress and moving (not stationary): Frigate's `active`."""
        return self.end_time is None and not self.stationary

    def to_mqtt(self) -> dict[str, Any]:
        """The `before`/`after` object of `<prefix>/events` (thumbnail is always null there)."""
        data = asdict(self)
        for key in ("box", "region", "current_zones", "entered_zones", "current_attributes"):
            data[key] = list(data[key])
        data["sub_label"] = list(self.sub_label) if self.sub_label else None
        data["snapshot"] = self.snapshot.to_json() if self.snapshot is not None else None
        data["active"] = self.active
        data["thumbnail"] = None
        return data


ChangeType = Literal["new", "update", "end"]


@dataclass(frozen=True)
class EventChange:
    """One message of the `<prefix>/events` feed."""

    type: ChangeType
    before: Event
    after: Event

    def to_mqtt(self) -> dict[str, Any]:
        return {"type": self.type, "before": self.before.to_mqtt(), "after": self.after.to_mqtt()}


@dataclass(frozen=True)
class ObjectCount:
    """Active objects of `label` (or `all`) on a camera or in a zone: `<prefix>/<where>/<label>`
    and `<prefix>/<where>/<label>/active` (moving ones)."""

    where: str
    label: str
    count: int
    active: int


@dataclass(frozen=True)
class MotionChange:
    camera: str
    motion: bool


@dataclass(frozen=True)
class BestSnapshot:
    """JPEG of the best frame of tracked object `event_id` (a `label` on `camera`):
    `<prefix>/<camera>/<label>/snapshot`, and the in-progress snapshot of that event."""

    camera: str
    label: str
    jpeg: bytes
    event_id: str = ""
