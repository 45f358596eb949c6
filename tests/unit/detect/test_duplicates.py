"""Suppressing one object's duplicate detections across a frame's overlapping regions."""

from __future__ import annotations

import pytest

from roost.detect.detection import Detection
from roost.detect.duplicates import suppress_duplicates
from roost.detect.region import Region

FRAME = (576, 768)
LEFT = Region(0, 100, 320, 420)  # two overlapping regions, as calculate_regions makes them
RIGHT = Region(200, 100, 520, 420)


def det(box: tuple[int, int, int, int], region: Region, label: str = "person", score: float = 0.8) -> Detection:
    width, height = box[2] - box[0], box[3] - box[1]
    return Detection(label, score, box, width * height, width / height, region)


# (case, detections, indices kept)
CASES = [
    ("one person in two regions: the one where it is central stays",
     [det((270, 200, 310, 300), LEFT, score=0.9), det((272, 202, 311, 301), RIGHT, score=0.7)], [1]),
    ("the order does not matter",
     [det((272, 202, 311, 301), RIGHT, score=0.7), det((270, 200, 310, 300), LEFT, score=0.9)], [0]),
    ("a person cut by the left region's edge is a part of the whole one in the right region",
     [det((300, 200, 320, 300), LEFT, score=0.9), det((290, 200, 330, 300), RIGHT, score=0.6)], [1]),
    ("two people side by side both stay",
     [det((250, 200, 280, 300), LEFT), det((285, 200, 315, 300), RIGHT)], [0, 1]),
    ("a person and a dog at one place both stay",
     [det((270, 200, 310, 300), LEFT), det((270, 200, 310, 300), RIGHT, "dog")], [0, 1]),
    ("a child in front of an adult in one region: neither is cut, both stay",
     [det((100, 150, 160, 330), LEFT), det((110, 250, 150, 330), LEFT)], [0, 1]),
    ("a box at the frame's edge is not cut by its region",
     [det((0, 200, 30, 300), LEFT, score=0.9), det((0, 150, 45, 300), Region(0, 0, 576, 576), score=0.5)], [0, 1]),  # IoU 0.44
    ("three copies, one kept", [det((270, 200, 310, 300), LEFT), det((268, 198, 309, 300), RIGHT),
                                 det((271, 201, 311, 302), Region(150, 50, 470, 370))], [2]),
    ("nothing", [], []),
]


@pytest.mark.parametrize(("case", "detections", "kept"), CASES, ids=[c[0] for c in CASES])
def test_duplicates_across_regions(case: str, detections: list[Detection], kept: list[int]) -> None:
    assert suppress_duplicates(detections, FRAME) == [detections[i] for i in kept]
