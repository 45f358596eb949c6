"""The debug overlays of `/api/<camera>` and `latest.jpg` (Frigate's query flags): object
boxes, timestamp, zones, motion masks, motion boxes (blue) and regions (green).

Object boxes are styled as in Frigate's debug view: an object detected in this frame in its
label's colour; a stationary one thin and grey; one not detected in this frame (tracked on
from where it was last seen, until `max_disappeared` frames) thin and dark blue, so a box
with nobody in it reads as "lost", not as a detection.

Frames are BGR `(height, width, 3)` uint8 at detect resolution; polygons from the config
are detect-frame pixels or relative 0–1 values (scaled here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from roost.api.context import Box, LatestFrame
from roost.config.base import Point, is_relative
from roost.config.camera import CameraConfig
from roost.events.snapshots import Image, draw_box, draw_timestamp, draw_zones, resize_to_height

MOTION_COLOR = (255, 0, 0)  # blue (BGR)
REGION_COLOR = (0, 255, 0)  # green
MASK_COLOR = (128, 128, 128)
MASK_ALPHA = 0.5
LINE = 2
STATIONARY_COLOR = (220, 220, 220)  # grey
NOT_SEEN_COLOR = (139, 0, 0)  # dark blue
THIN = 1


@dataclass(frozen=True)
class OverlayFlags:
    bbox: bool = False
    timestamp: bool = False
    zones: bool = False
    mask: bool = False
    motion: bool = False
    regions: bool = False
    height: int | None = None


def to_pixels(points: Sequence[Point], width: int, height: int) -> list[tuple[int, int]]:
    if is_relative(list(points)):
        return [(round(x * width), round(y * height)) for x, y in points]
    return [(round(x), round(y)) for x, y in points]


def _rectangles(image: Image, boxes: Sequence[Box], color: tuple[int, int, int]) -> None:
    for x1, y1, x2, y2 in boxes:
        cv2.rectangle(image, (int(x1), int(y1)), (int(x2) - 1, int(y2) - 1), color, LINE)


def draw_overlays(frame: LatestFrame, camera: CameraConfig, flags: OverlayFlags) -> Image:
    """A copy of the frame with the requested overlays, scaled to `flags.height`."""
    image: Image = frame.image.copy()
    height, width = image.shape[:2]
    if flags.mask and camera.motion.mask:
        shaded = image.copy()
        polygons = [np.array(to_pixels(p, width, height), np.int32) for p in camera.motion.mask]
        cv2.fillPoly(shaded, polygons, MASK_COLOR)
        image = np.asarray(cv2.addWeighted(shaded, MASK_ALPHA, image, 1 - MASK_ALPHA, 0), dtype=np.uint8)
    if flags.zones and camera.zones:
        draw_zones(image, {name: to_pixels(z.coordinates, width, height) for name, z in camera.zones.items()})
    if flags.motion:
        _rectangles(image, frame.motion_boxes, MOTION_COLOR)
    if flags.regions:
        _rectangles(image, frame.regions, REGION_COLOR)
    if flags.bbox:
        for obj in sorted(frame.objects, key=lambda o: (o.seen, not o.stationary)):  # detections on top
            if not obj.seen:
                draw_box(image, obj.box, obj.label, obj.score, NOT_SEEN_COLOR, THIN)
            elif obj.stationary:
                draw_box(image, obj.box, obj.label, obj.score, STATIONARY_COLOR, THIN)
            else:
                draw_box(image, obj.box, obj.label, obj.score)
    image = resize_to_height(image, flags.height)
    if flags.timestamp:
        draw_timestamp(image, frame.frame_time)
    return image
