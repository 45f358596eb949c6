"""Zones: is a tracked object in a zone, and which zones has it entered.

An object is in a zone when its *bottom centre* (where it stands) is inside the zone's
polygon, edges and vertices included, and it passes the zone's filters. Polygons are
`[(x, y), ...]` in detect-frame pixels, convex or not (even-odd rule for self-crossing ones).

Zone rules per object and frame (`update_zones`):
- a zone with `objects` only counts those labels;
- the zone's `filters` for the label (`min_area`, `max_area`, `min_ratio`, `max_ratio`, and
  `threshold` against the object's computed score) must pass, except for an object already
  in the zone (Frigate: "if the object passed the filters once, don't apply again");
- `inertia`: the object enters a zone after `inertia` consecutive frames in it (filters
  passed); it is then in `current_zones` on every frame its point is inside, and leaves
  `current_zones` on the first frame it is not. Once entered, coming back needs no inertia
  again (as in Frigate, whose presence counter stays full after entering);
- `loitering_time` (seconds, 0 = off): the object must also stay that long before it is in
  the zone — counted, as in Frigate, in frames at `detect.fps` from the frame where inertia
  was met, so a zone with inertia 3 and 2 s at 5 fps needs 3 - 1 + 10 = 12 consecutive
  frames. Someone passing through never enters it; someone who lingers does, and from then
  on is in it whenever they stand in it, like any entered zone;
- `entered_zones` keeps the order of first entry; `current_zones` the camera's zone order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from roost.config.objects import ZoneConfig

Polygon = Sequence[tuple[float, float]]

#: A point this close to a polygon edge (in pixels) is on it, hence inside.
EDGE_TOLERANCE = 1e-6


def bottom_centres(boxes: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
    """The point each box `(N, 4)` stands on, `(N, 2)`: the centre of its bottom pixel row,
    `((x1 + x2 - 1) / 2, y2 - 1)` for exclusive `x2, y2` (so a box at the frame's bottom
    stands on row `height - 1`, the last one a zone drawn on the frame can reach).

    >>> bottom_centres(np.array([[10, 20, 31, 61]])).tolist()
    [[20.0, 60.0]]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.column_stack(((boxes[:, 0] + boxes[:, 2] - 1) / 2, boxes[:, 3] - 1))


def _stack(polygons: Sequence[Polygon]) -> npt.NDArray[np.float64]:
    """Polygons as `(P, V, 2)`, shorter ones padded by repeating their last vertex (a
    zero-length edge neither crosses a ray nor adds any point that is not a vertex)."""
    longest = max(len(polygon) for polygon in polygons)
    stacked = np.empty((len(polygons), longest, 2), np.float64)
    for index, polygon in enumerate(polygons):
        vertices = np.asarray(polygon, np.float64).reshape(-1, 2)
        stacked[index, :len(vertices)] = vertices
        stacked[index, len(vertices):] = vertices[-1]
    return stacked


def points_in_polygons(points: npt.NDArray[np.floating], polygons: Sequence[Polygon]) -> npt.NDArray[np.bool_]:
    """`(N, P)`: whether each point `(N, 2)` is inside or on the edge of each polygon.

    Crossing-number test vectorised over points, polygons and edges at once.

    >>> square = [(0, 0), (10, 0), (10, 10), (0, 10)]
    >>> points_in_polygons(np.array([[5, 5], [10, 5], [0, 0], [11, 5]]), [square]).ravel().tolist()
    [True, True, True, False]
    """
    points = np.asarray(points, np.float64).reshape(-1, 2)
    if not polygons or len(points) == 0:
        return np.zeros((len(points), len(polygons)), bool)
    starts = _stack(polygons)  # (P, V, 2)
    ends = np.roll(starts, -1, axis=1)
    px = points[:, None, None, 0]  # (N, 1, 1)
    py = points[:, None, None, 1]
    ax, ay = starts[None, :, :, 0], starts[None, :, :, 1]  # (1, P, V)
    bx, by = ends[None, :, :, 0], ends[None, :, :, 1]
    # on an edge: collinear with it and between its ends
    edge_x, edge_y = bx - ax, by - ay
    cross = edge_x * (py - ay) - edge_y * (px - ax)
    length = np.hypot(edge_x, edge_y)
    collinear = np.abs(cross) <= EDGE_TOLERANCE * np.maximum(length, 1.0)
    between = ((px >= np.minimum(ax, bx) - EDGE_TOLERANCE) & (px <= np.maximum(ax, bx) + EDGE_TOLERANCE)
               & (py >= np.minimum(ay, by) - EDGE_TOLERANCE) & (py <= np.maximum(ay, by) + EDGE_TOLERANCE))
    on_edge = (collinear & between).any(axis=2)
    # strictly inside: a ray to +x crosses an odd number of edges
    straddles = (ay > py) != (by > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = ax + (py - ay) * edge_x / edge_y
    crosses = straddles & (px < crossing_x)
    inside = (crosses.sum(axis=2) % 2) == 1
    result: npt.NDArray[np.bool_] = inside | on_edge
    return result


@dataclass(frozen=True)
class ZoneState:
    """One object's zones: `current` (in now), `entered` (ever, in order of entry) and
    `presence`, the consecutive frames spent in each zone not yet entered (for `inertia`
    and `loitering_time`)."""

    current: tuple[str, ...] = ()
    entered: tuple[str, ...] = ()
    presence: tuple[tuple[str, int], ...] = ()


def zone_filtered(label: str, area: float, ratio: float, computed_score: float, zone: ZoneConfig) -> bool:
    """Whether the zone ignores this object: its label is not in the zone's `objects`, or it
    fails the zone's filter for its label (area, ratio, computed score vs `threshold`)."""
    if zone.objects and label not in zone.objects:
        return True
    limits = zone.filters.get(label)
    if limits is None:
        return False
    return not (limits.min_area <= area <= limits.max_area
                and limits.min_ratio <= ratio <= limits.max_ratio
                and computed_score >= limits.threshold)


def frames_to_enter(zone: ZoneConfig, fps: float) -> int:
    """Consecutive frames in a zone before an object enters it: `inertia`, plus
    `loitering_time` at `fps` counted from the frame where inertia was met.

    >>> frames_to_enter(ZoneConfig(coordinates=[(0, 0), (1, 0), (1, 1)], inertia=3), 5)
    3
    >>> frames_to_enter(ZoneConfig(coordinates=[(0, 0), (1, 0), (1, 1)], inertia=3, loitering_time=2), 5)
    12
    """
    if zone.loitering_time <= 0:
        return zone.inertia
    return zone.inertia - 1 + max(1, math.ceil(zone.loitering_time * fps))


def update_zones(state: ZoneState, inside: Sequence[bool], label: str, area: float, ratio: float,
                 computed_score: float, zones: Mapping[str, ZoneConfig], fps: float) -> ZoneState:
    """The object's zones after one frame. `inside[k]` says whether its bottom centre is in
    the k-th zone of `zones` (see `points_in_polygons`); `fps` is the rate frames come at
    (`detect.fps`), for `loitering_time`."""
    presence = dict(state.presence)
    current: list[str] = []
    entered = list(state.entered)
    for (name, zone), point_inside in zip(zones.items(), inside):
        counts = bool(point_inside) and (
            name in state.current or not zone_filtered(label, area, ratio, computed_score, zone))
        if not counts:
            presence.pop(name, None)
            continue
        if name in entered:
            current.append(name)
            continue
        frames = presence.get(name, 0) + 1
        if frames >= frames_to_enter(zone, fps):
            presence.pop(name, None)
            current.append(name)
            entered.append(name)
        else:
            presence[name] = frames
    return ZoneState(tuple(current), tuple(entered), tuple(sorted(presence.items())))
