"""Best frame: highest score, larger area on a tie, a newer frame after best_image_timeout."""

from __future__ import annotations

import pytest

from roost.detect.region import Region
from roost.track.best_frame import is_better_frame
from roost.track.tracked_object import BestFrame

REGION = Region(0, 0, 320, 320)


def _frame(time: float, score: float, area: int) -> BestFrame:
    return BestFrame(time, score, (0, 0, area, 1), area, REGION)


@pytest.mark.parametrize(("candidate", "better"), [
    (_frame(101, 0.91, 100), True),  # higher score
    (_frame(101, 0.89, 10_000), False),  # lower score, however large
    (_frame(101, 0.90, 101), True),  # same score, larger
    (_frame(101, 0.90, 100), False),  # same score, same area
    (_frame(101, 0.90, 99), False),
    (_frame(160, 0.50, 10), False),  # exactly the timeout later: not yet
    (_frame(160.5, 0.50, 10), True),  # past the timeout: newer wins whatever its score
])
def test_best_frame_rule(candidate: BestFrame, better: bool) -> None:
    assert is_better_frame(candidate, _frame(100, 0.90, 100), best_image_timeout=60) is better


def test_first_frame_is_always_best() -> None:
    assert is_better_frame(_frame(0, 0.1, 1), None, 60)
