"""Object counts per camera and zone (`<prefix>/<where>/<label>` and `/active`), pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from roost.events.event import Event, ObjectCount

ALL_LABELS = "all"


def count_objects(camera: str, events: Iterable[Event], labels: Iterable[str],
                  zones: Iterable[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(where, label) → (count, active) for the camera and each of its zones.

    Every tracked label and `all` get an entry even at zero, so a count that drops back to
    0 is published as 0. "Active" objects are the ones that are not stationary.
    """
    live = [e for e in events if e.end_time is None and not e.false_positive]
    places = [camera, *zones]
    totals: dict[tuple[str, str], tuple[int, int]] = {}
    for where in places:
        inside = live if where == camera else [e for e in live if where in e.current_zones]
        counts = Counter(e.label for e in inside)
        active = Counter(e.label for e in inside if not e.stationary)
        for label in [*labels, ALL_LABELS]:
            if label == ALL_LABELS:
                totals[(where, label)] = (len(inside), sum(1 for e in inside if not e.stationary))
            else:
                totals[(where, label)] = (counts[label], active[label])
    return totals


def count_changes(before: Mapping[tuple[str, str], tuple[int, int]],
                  after: Mapping[tuple[str, str], tuple[int, int]]) -> list[ObjectCount]:
    """The counts that differ from what was last published (all of them the first time)."""
    return [ObjectCount(where, label, count, active)
            for (where, label), (count, active) in after.items()
            if before.get((where, label)) != (count, active)]
