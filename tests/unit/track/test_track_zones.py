"""Zones: point in polygon (edges, concave shapes), inertia, entry order, zone filters."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.config.objects import FilterConfig, ZoneConfig
from roost.track.zones import (
    ZoneState, bottom_centres, frames_to_enter, points_in_polygons, update_zones, zone_filtered,
)

SQUARE = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
TRIANGLE = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)]
# a U: two arms (x 0..3 and 7..10) joined at the bottom (y 7..10); the notch is x 3..7, y 0..7
U_SHAPE = [(0.0, 0.0), (3.0, 0.0), (3.0, 7.0), (7.0, 7.0), (7.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]


@pytest.mark.parametrize(("polygon", "point", "inside"), [
    (SQUARE, (5, 5), True),
    (SQUARE, (0, 5), True),  # on the left edge
    (SQUARE, (10, 10), True),  # on a vertex
    (SQUARE, (5, 10), True),  # on the bottom edge
    (SQUARE, (10.001, 5), False),
    (SQUARE, (-1, -1), False),
    (TRIANGLE, (5, 5), True),  # on the slanted edge
    (TRIANGLE, (5.01, 5), False),
    (TRIANGLE, (2, 2), True),
    (U_SHAPE, (5, 3), False),  # in the notch
    (U_SHAPE, (5, 7), True),  # on the notch's floor
    (U_SHAPE, (3, 3), True),  # on the notch's side
    (U_SHAPE, (1.5, 3), True),  # in the left arm
    (U_SHAPE, (8.5, 3), True),  # in the right arm
    (U_SHAPE, (5, 9), True),  # in the base
    (U_SHAPE, (11, 9), False),
])
def test_point_in_polygon(polygon: list[tuple[float, float]], point: tuple[float, float], inside: bool) -> None:
    assert bool(points_in_polygons(np.array([point], float), [polygon])[0, 0]) is inside


def test_many_points_against_many_polygons_at_once() -> None:
    points = np.array([[5, 3], [1, 1], [20, 20]], float)
    result = points_in_polygons(points, [SQUARE, TRIANGLE, U_SHAPE])
    assert result.shape == (3, 3)
    assert result.tolist() == [[True, True, False], [True, True, True], [False, False, False]]
    assert points_in_polygons(points, []).shape == (3, 0)
    assert points_in_polygons(np.zeros((0, 2)), [SQUARE]).shape == (0, 1)


@st.composite
def star_polygons(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Simple polygons, often concave: integer vertices sorted by angle around a centre."""
    count = draw(st.integers(3, 9))
    angles = sorted(draw(st.lists(st.floats(0, 2 * np.pi, exclude_max=True), min_size=count,
                                  max_size=count, unique=True)))
    radii = draw(st.lists(st.integers(3, 40), min_size=count, max_size=count))
    return [(50 + round(r * np.cos(a)), 50 + round(r * np.sin(a))) for a, r in zip(angles, radii)]


@settings(max_examples=200, deadline=None)
@given(star_polygons(), st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=30))
def test_agrees_with_opencv_on_integer_points(polygon: list[tuple[int, int]], points: list[tuple[int, int]]) -> None:
    contour = np.array(polygon, np.float32).reshape(-1, 1, 2)
    if abs(cv2.contourArea(contour)) < 1:
        return  # degenerate (all vertices on a line)
    ours = points_in_polygons(np.array(points, float), [polygon])[:, 0]
    theirs = [cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0 for x, y in points]
    assert ours.tolist() == theirs


def test_bottom_centre_is_the_middle_of_the_last_row() -> None:
    assert bottom_centres(np.array([[0, 0, 10, 20], [100, 50, 201, 576]])).tolist() == [[4.5, 19.0], [150.0, 575.0]]


ZONES = {
    "street": ZoneConfig(coordinates=SQUARE, inertia=1),
    "yard": ZoneConfig(coordinates=SQUARE, inertia=3),
}


def _step(state: ZoneState, inside: list[bool], zones: dict[str, ZoneConfig] = ZONES,
          label: str = "person", area: float = 5000, ratio: float = 0.5, score: float = 0.9) -> ZoneState:
    return update_zones(state, inside, label, area, ratio, score, zones, fps=5)


def test_inertia_frames_in_a_row_before_entering() -> None:
    state = ZoneState()
    seen = []
    for inside in ([False, True], [False, True], [False, False], [False, True], [False, True], [False, True],
                   [False, False], [False, True]):
        state = _step(state, inside)
        seen.append((state.current, state.entered))
    assert seen == [
        ((), ()), ((), ()),  # two frames in the yard: not yet
        ((), ()),  # out again: the count restarts
        ((), ()), ((), ()), (("yard",), ("yard",)),  # three in a row: entered
        ((), ("yard",)),  # left: no longer current, still entered
        (("yard",), ("yard",)),  # back: current at once
    ]


def test_loitering_time_keeps_passers_by_out_and_lets_loiterers_in() -> None:
    # inertia 3, 2 s at 5 fps: 3 - 1 + 10 = 12 consecutive frames (Frigate's count)
    zones = {"porch": ZoneConfig(coordinates=SQUARE, inertia=3, loitering_time=2)}
    assert frames_to_enter(zones["porch"], 5) == 12
    state = ZoneState()
    for _ in range(11):  # passing through: 2.2 s, one frame short
        state = _step(state, [True], zones)
    assert state.current == () and state.entered == ()
    state = _step(state, [False], zones)  # left: the count starts over
    for frame in range(12):
        state = _step(state, [True], zones)
        assert (state.current == ("porch",)) is (frame == 11)
    assert state.entered == ("porch",)
    state = _step(_step(state, [False], zones), [True], zones)  # entered once: back in at once
    assert state.current == ("porch",)
    # a fraction of a frame still needs a frame; 0 turns loitering off
    assert frames_to_enter(ZoneConfig(coordinates=SQUARE, inertia=1, loitering_time=1), 0.5) == 1
    assert frames_to_enter(ZoneConfig(coordinates=SQUARE, inertia=4, loitering_time=0), 5) == 4


def test_entered_zones_keep_the_order_of_entry_and_current_the_config_order() -> None:
    state = ZoneState()
    for _ in range(3):
        state = _step(state, [False, True])
    state = _step(state, [True, True])
    assert state.entered == ("yard", "street")
    assert state.current == ("street", "yard")


@pytest.mark.parametrize(("zone", "label", "area", "ratio", "score", "filtered"), [
    (ZoneConfig(coordinates=SQUARE), "person", 100, 1.0, 0.1, False),  # no filters: every label
    (ZoneConfig(coordinates=SQUARE, objects=["car"]), "person", 100, 1.0, 0.9, True),
    (ZoneConfig(coordinates=SQUARE, objects=["car"]), "car", 100, 1.0, 0.9, False),
    (ZoneConfig(coordinates=SQUARE, filters={"person": FilterConfig(min_area=5000)}), "person", 4999, 1.0, 0.9, True),
    (ZoneConfig(coordinates=SQUARE, filters={"person": FilterConfig(min_area=5000)}), "person", 5000, 1.0, 0.9, False),
    (ZoneConfig(coordinates=SQUARE, filters={"person": FilterConfig(max_area=100)}), "person", 101, 1.0, 0.9, True),
    (ZoneConfig(coordinates=SQUARE, filters={"person": FilterConfig(max_ratio=1.0)}), "person", 100, 1.5, 0.9, True),
    (ZoneConfig(coordinates=SQUARE, filters={"person": FilterConfig(threshold=0.8)}), "person", 100, 1.0, 0.79, True),
    (ZoneConfig(coordinates=SQUARE, filters={"person": FilterConfig(threshold=0.8)}), "car", 100, 1.0, 0.1, False),
])
def test_zone_filters(zone: ZoneConfig, label: str, area: float, ratio: float, score: float, filtered: bool) -> None:
    assert zone_filtered(label, area, ratio, score, zone) is filtered


def test_zone_filters_apply_until_the_object_is_in_the_zone_then_no_more() -> None:
    zones = {"door": ZoneConfig(coordinates=SQUARE, inertia=1, filters={"person": FilterConfig(min_area=5000)})}
    small = _step(ZoneState(), [True], zones, area=1000)
    assert small.current == ()
    big = _step(ZoneState(), [True], zones, area=6000)
    assert big.current == ("door",)
    assert _step(big, [True], zones, area=1000).current == ("door",)  # passed once: stays
