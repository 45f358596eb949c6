"""`TrackedObject` (track stage) → `Event` (this stage), pure."""

from __future__ import annotations

from roost.events.event import Event
from roost.track.tracked_object import TrackedObject


def event_from_tracked(obj: TrackedObject, gone: bool = False, has_snapshot: bool = False,
                       has_clip: bool = False) -> Event:
    """The event view of a tracked object. A gone object's event ends at the last frame it
    was processed in. `score` is the latest detection's score (Frigate's), falling back to
    the computed score on frames where the object was looked for and not found."""
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
        region=tuple(obj.region),  # type: ignore[arg-type]
        stationary=obj.stationary,
        motionless_count=obj.motionless_count,
        position_changes=obj.position_changes,
        current_zones=obj.current_zones,
        entered_zones=obj.entered_zones,
        sub_label=obj.sub_label,
        attributes=dict(obj.attributes),
        current_attributes=tuple({"label": name, "score": score} for name, score in obj.attributes),
        has_clip=has_clip,
        has_snapshot=has_snapshot,
    )
