"""Object boxes on debug images (`latest.jpg?bbox=1`) say whether the object was detected in
that frame, as Frigate's debug view does."""

from __future__ import annotations

import numpy as np

from roost.api.context import LatestFrame, OverlayObject
from roost.api.overlays import NOT_SEEN_COLOR, STATIONARY_COLOR, OverlayFlags, draw_overlays
from roost.config import validate_raw
from roost.events.snapshots import label_color

CAMERA = validate_raw({"cameras": {"front": {"ffmpeg": {"inputs": [{"path": "rtsp://x/1", "roles": ["detect"]}]},
                                             "detect": {"width": 320, "height": 240}}}}).config.cameras["front"]


def boxes_drawn(*objects: OverlayObject) -> np.ndarray:
    frame = LatestFrame(np.zeros((240, 320, 3), np.uint8), 0.0, objects=objects)
    return draw_overlays(frame, CAMERA, OverlayFlags(bbox=True))


def test_detected_lost_and_stationary_objects_are_drawn_apart() -> None:
    image = boxes_drawn(OverlayObject("person", 0.9, (20, 60, 80, 200)),
                        OverlayObject("person", 0.8, (120, 60, 180, 200), seen=False),
                        OverlayObject("person", 0.7, (220, 60, 280, 200), stationary=True))
    detected, lost, still = image[130, 20:23], image[130, 120:123], image[130, 220:223]
    person = label_color("person")
    assert detected[0].tolist() == list(person) and detected[1].tolist() == list(person)  # thick, its colour
    assert lost[0].tolist() == list(NOT_SEEN_COLOR) and lost[1].tolist() == [0, 0, 0]  # thin, dark blue
    assert still[0].tolist() == list(STATIONARY_COLOR) and still[1].tolist() == [0, 0, 0]  # thin, grey
    assert image[130, 50].tolist() == [0, 0, 0]  # boxes are outlines


def test_a_detection_is_drawn_over_a_lost_box_it_overlaps() -> None:
    # The lost object comes after the detection in the list and shares its left edge.
    image = boxes_drawn(OverlayObject("person", 0.9, (40, 60, 100, 200)),
                        OverlayObject("person", 0.8, (40, 80, 90, 220), seen=False))
    assert image[150, 40].tolist() == list(label_color("person"))


def test_tags_on_dark_boxes_are_written_in_white() -> None:
    image = boxes_drawn(OverlayObject("person", 0.9, (20, 60, 80, 200)),
                        OverlayObject("person", 0.8, (120, 60, 180, 200), seen=False))
    white = (image > 200).all(axis=2)
    assert white[40:60, 120:200].sum() > 20  # "person: 80%" on dark blue
    assert white[40:60, 20:100].sum() == 0  # black on the label's magenta
