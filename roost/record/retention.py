"""Retention as pure policy: given segments, events, the camera's policy and `now`, what to
delete. No files, no database, no clock: the executor (roost.record.expiry) supplies them.

Rules, Frigate's:
- continuous recordings are kept `record.retain.days` after they end, filtered by
  `record.retain.mode` (`all`; `motion`: segments with motion; `active_objects`: segments
  with moving tracked objects);
- a segment overlapping an event's window (`pre_capture` before its start to
  `post_capture` after its end) is kept while the event is retained: per-label days of
  `record.events.retain` (or legacy `save_clips.retain`) after the event ends, filtered by
  that section's `mode`; events in progress and `retain_indefinitely` events keep every
  overlapping segment whatever the mode;
- the newest segments are kept for `pre_capture` + a grace period whatever the rules say,
  because an event that is only being confirmed now may still claim them.
Times are epoch seconds; days are converted with DAY_S.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from roost.config.camera import CameraConfig
from roost.config.media import RetainMode

DAY_S = 86_400.0
#: An object becomes an event some frames after it was first seen; its pre-capture may
#: reach back this much further than `pre_capture` before "now".
EVENT_CONFIRM_GRACE_S = 30.0


@dataclass(frozen=True)
class Segment:
    """A recorded segment as retention sees it (`size` in bytes)."""

    id: str
    camera: str
    start_time: float
    end_time: float
    motion: int = 0
    objects: int = 0
    size: int = 0


@dataclass(frozen=True)
class EventSpan:
    """An event as retention sees it; `end_time` None while in progress; `zones` entered."""

    id: str
    camera: str
    label: str
    start_time: float
    end_time: float | None
    retain_indefinitely: bool = False
    has_clip: bool = False
    has_snapshot: bool = False
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetentionPolicy:
    """One camera's retention settings, read once from its config."""

    continuous_days: float = 0.0
    continuous_mode: RetainMode = "all"
    event_days_default: float = 10.0
    event_days: Mapping[str, float] = field(default_factory=dict)
    event_mode: RetainMode = "motion"
    pre_capture: float = 5.0
    post_capture: float = 5.0
    event_objects: tuple[str, ...] | None = None  # None: every label keeps recordings
    required_zones: tuple[str, ...] = ()
    snapshot_days_default: float = 10.0
    snapshot_days: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_camera(cls, camera: CameraConfig) -> "RetentionPolicy":
        """Legacy `save_clips` governs event media when it is enabled, `record.events` otherwise."""
        legacy = camera.save_clips.enabled
        events = camera.save_clips if legacy else camera.record.events
        return cls(
            continuous_days=camera.record.retain.days, continuous_mode=camera.record.retain.mode,
            event_days_default=events.retain.default, event_days=dict(events.retain.objects),
            event_mode=events.retain.mode, pre_capture=events.pre_capture, post_capture=events.post_capture,
            event_objects=tuple(events.objects) if events.objects is not None else None,
            required_zones=tuple(events.required_zones),
            snapshot_days_default=camera.snapshots.retain.default,
            snapshot_days=dict(camera.snapshots.retain.objects))

    def event_days_for(self, label: str) -> float:
        return self.event_days.get(label, self.event_days_default)

    def snapshot_days_for(self, label: str) -> float:
        return self.snapshot_days.get(label, self.snapshot_days_default)

    def keeps_recordings_for(self, event: EventSpan) -> bool:
        """Whether the event's label and zones make it keep recordings at all."""
        if self.event_objects is not None and event.label not in self.event_objects:
            return False
        return not self.required_zones or bool(set(self.required_zones) & set(event.zones))


@dataclass(frozen=True)
class EventExpiry:
    """Ids of events whose clip, snapshot, or whole row (no media left, nothing retains it) expired."""

    clips: list[str]
    snapshots: list[str]
    rows: list[str]


def mode_allows(mode: RetainMode, segment: Segment) -> bool:
    if mode == "motion":
        return segment.motion > 0
    if mode == "active_objects":
        return segment.objects > 0
    return True


class _Intervals:
    """Disjoint sorted intervals for O(log n) overlap tests."""

    def __init__(self, spans: Iterable[tuple[float, float]]) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []
        for start, end in sorted(spans):
            if self.ends and start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def overlaps(self, start: float, end: float) -> bool:
        i = bisect.bisect_right(self.ends, start)
        return i < len(self.starts) and self.starts[i] < end


def event_window(event: EventSpan, policy: RetentionPolicy, now: float) -> tuple[float, float]:
    """The span of recordings an event needs: pre_capture before start to post_capture after end."""
    end = now if event.end_time is None else event.end_time
    return (event.start_time - policy.pre_capture, end + policy.post_capture)


def _protected(events: Sequence[EventSpan], policy: RetentionPolicy, now: float) -> _Intervals:
    """Windows of events whose recordings are never deleted: in progress or retained forever."""
    return _Intervals(event_window(e, policy, now) for e in events
                      if (e.retain_indefinitely or e.end_time is None) and policy.keeps_recordings_for(e))


def expired_segments(segments: Sequence[Segment], events: Sequence[EventSpan],
                     policy: RetentionPolicy, now: float) -> list[Segment]:
    """The segments of one camera that no rule keeps any longer, oldest first."""
    protected = _protected(events, policy, now)
    retained = _Intervals(event_window(e, policy, now) for e in events
                          if e.end_time is not None and not e.retain_indefinitely
                          and policy.keeps_recordings_for(e)
                          and e.end_time + policy.event_days_for(e.label) * DAY_S > now)
    young_after = now - policy.pre_capture - EVENT_CONFIRM_GRACE_S
    expired = []
    for segment in sorted(segments, key=lambda s: s.start_time):
        if segment.end_time > young_after:
            continue
        if segment.end_time > now - policy.continuous_days * DAY_S and mode_allows(policy.continuous_mode, segment):
            continue
        if protected.overlaps(segment.start_time, segment.end_time):
            continue
        if mode_allows(policy.event_mode, segment) and retained.overlaps(segment.start_time, segment.end_time):
            continue
        expired.append(segment)
    return expired


def expired_event_media(events: Sequence[EventSpan], policy: RetentionPolicy, now: float) -> EventExpiry:
    """Clips and snapshots past their label's days, and rows with nothing left to keep them.
    Events in progress and `retain_indefinitely` events never expire."""
    clips, snapshots, rows = [], [], []
    for event in events:
        if event.end_time is None or event.retain_indefinitely:
            continue
        clip_over = event.end_time + policy.event_days_for(event.label) * DAY_S <= now
        snapshot_over = event.end_time + policy.snapshot_days_for(event.label) * DAY_S <= now
        if clip_over and event.has_clip:
            clips.append(event.id)
        if snapshot_over and event.has_snapshot:
            snapshots.append(event.id)
        if clip_over and snapshot_over:
            rows.append(event.id)
    return EventExpiry(clips, snapshots, rows)


def disk_pressure_victims(segments: Sequence[Segment], events: Sequence[EventSpan],
                          policies: Mapping[str, RetentionPolicy], bytes_to_free: int,
                          now: float) -> list[Segment]:
    """Oldest segments first, across cameras, until `bytes_to_free` is reached; segments of
    events in progress or retained indefinitely are never chosen, whatever the pressure."""
    if bytes_to_free <= 0:
        return []
    default = RetentionPolicy()
    protected = {camera: _protected([e for e in events if e.camera == camera], policies.get(camera, default), now)
                 for camera in {s.camera for s in segments}}
    victims, freed = [], 0
    for segment in sorted(segments, key=lambda s: s.start_time):
        if protected[segment.camera].overlaps(segment.start_time, segment.end_time):
            continue
        victims.append(segment)
        freed += segment.size
        if freed >= bytes_to_free:
            break
    return victims


def free_space_floor(segments: Sequence[Segment], now: float, hold_s: float = 3600.0,
                     window_s: float = 600.0) -> int:
    """Bytes to keep free: `hold_s` of recording at the rate of the last `window_s`
    (all cameras together), i.e. one hour of recording by default."""
    recent = sum(s.size for s in segments if s.end_time > now - window_s)
    return int(recent / window_s * hold_s)
