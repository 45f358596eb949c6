"""`TrackedObject` (track stage) → `Event` (this stage), pure."""

from __future__ import annotations

from roost.box import as_box
from roost.events.event import Event, EventSnapshot
from roost.track.tracked_object import TrackedObject


def snapshot_of(obj: TrackedObject) -> EventSnapshot | None:
    """What the object's best frame shows (None while it has none): the detection's box,
    area, region and score in that frame, and the attributes attached to it in that frame
    (`[{label, score, box}]`, Frigate's snapshot `attributes`)."""
    best = obj.best
    if best is None:
        return None
    return EventSnapshot(frame_time=best.frame_time, box=best.box, area=best.area,
                         region=as_box(best.region),
                         score=best.score, attributes=tuple(a.to_json() for a in best.attributes))


def event_from_tracked(obj: TrackedObject, gone: bool = False, has_snapshot: bool = False,
                       has_clip: bool = False, snapshot: EventSnapshot | None = None) -> Event:
    """The event view of a tracked object. A gone object's event ends at the last frame it
    was processed in. `score` is the latest detection's score (Frigate's), falling back to
    the computed score on frames where the object was looked for and not found. `snapshot`
    describes the snapshot rendered so far (which lags the object's best frame by the
    snapshot throttle), not the best frame itself."""
    return Event(
        id=obj.id,
        camera=obj.camera,
        label=obj.label,
        frame_time=obj.frame_time,
        start_time=obj.start_time,
        end_time=obj.frame_time if gone else None,
        score=obj.score if obj.score > 0 else obj.computed_score,
        top_score=obj.top_score,
        false_positive=obj.false_positive,
        box=obj.box,
        area=obj.area,
        ratio=obj.ratio,
        region=as_box(obj.region),
        stationary=obj.stationary,
        motionless_count=obj.motionless_count,
        position_changes=obj.position_changes,
        current_zones=obj.current_zones,
        entered_zones=obj.entered_zones,
        sub_label=obj.sub_label,
        attributes=dict(obj.attributes),
        current_attributes=tuple(a.to_json() for a in obj.current_attributes),
        has_clip=has_clip,
        has_snapshot=has_snapshot,
        snapshot=snapshot,
    )
