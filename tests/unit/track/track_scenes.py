"""Builders for tracker tests: detections and configs as the camera process would pass them."""

from __future__ import annotations

import random
from collections.abc import Mapping

from roost.config.motion_detect import DetectConfig
from roost.config.objects import FilterConfig, ObjectsConfig, ZoneConfig
from roost.detect.detection import Detection
from roost.detect.region import Region
from roost.track.tracker import ObjectTracker

FRAME_SHAPE = (576, 768)
FPS = 5


def detection(box: tuple[int, int, int, int], label: str = "person", score: float = 0.9) -> Detection:
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    region = Region(max(0, x1 - 10), max(0, y1 - 10), max(0, x1 - 10) + 320, max(0, y1 - 10) + 320)
    return Detection(label, score, box, width * height, width / height, region)


def tracker(objects: ObjectsConfig | None = None, zones: Mapping[str, ZoneConfig] | None = None,
            detect: DetectConfig | None = None, best_image_timeout: float = 60.0) -> ObjectTracker:
    objects = objects or ObjectsConfig(track=["person", "car", "cat"],
                                       filters={"person": FilterConfig(threshold=0.7, min_score=0.5)})
    return ObjectTracker("front", objects, zones or {}, detect or DetectConfig(fps=FPS), FRAME_SHAPE,
                         best_image_timeout, rng=random.Random(7))
