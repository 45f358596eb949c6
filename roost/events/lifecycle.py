"""When an event changes in a way clients care about (pure)."""

from __future__ import annotations

from roost.events.event import ChangeType, Event

#: Fields whose change is published as an `update` on `<prefix>/events`: zones, identity,
#: a better snapshot (top score, or a newly rendered one: at most once a second per object),
#: the stationary state and the media flags, as Frigate does.
SIGNIFICANT_FIELDS = ("current_zones", "entered_zones", "sub_label", "attributes", "top_score",
                      "stationary", "has_snapshot", "has_clip", "label", "snapshot")


def change_type(prior: Event | None, current: Event, gone: bool) -> ChangeType | None:
    """The feed message `current` causes, or None when it is not worth publishing.

    A false positive never starts an event; once started, an event is updated only on
    significant changes and ends exactly once, when its object is gone.
    """
    if prior is None:
        if current.false_positive:
            return None
        return "end" if gone else "new"
    if gone:
        return "end"
    if any(getattr(prior, f) != getattr(current, f) for f in SIGNIFICANT_FIELDS):
        return "update"
    return None
