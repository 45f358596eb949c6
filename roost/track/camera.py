"""One camera's per-frame work: motion → regions → detector → tracker → `FrameResult`.

`CameraPipeline` is plain code over numpy frames so tests drive it directly; the camera
process (`roost.track.camera_process`) feeds it frames from shared memory and sends its
results to the main process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from roost.config.camera import CameraConfig
from roost.config.services import DEFAULT_ATTRIBUTES_MAP
from roost.controls import CameraControls
from roost.detect.detection import Detection, detections_in_frame
from roost.detect.duplicates import suppress_duplicates
from roost.detect.region_input import region_rgb
from roost.detect.regions import calculate_regions
from roost.motion import MotionDetector
from roost.track.frame_result import FramePixels, FrameResult
from roost.track.tracker import ObjectTracker

logger = logging.getLogger(__name__)

#: Regions overlapping by more than this are merged into one square. Lower than the regions
#: module's default: on vtest.avi it cut detector runs per frame by a third (15.6 → 10.4/s)
#: and CPU per camera from 35 % to 25 % of a core, with the same events in the tests.
REGION_MERGE_IOU = 0.1


class RegionDetector(Protocol):
    """Runs the detection model on regions already resized to the model's input.

    `detect_batch` takes a frame's regions, each as `detect(rgb)` would: `detect(rgb)` takes `(model_height, model_width, 3)` uint8 RGB and returns `(N, 6)`
    float32 `class_id, score, x1, y1, x2, y2`, coordinates normalized to the region."""

    model_size: int
    labels: Sequence[str]

    def detect_batch(self, rgbs: Sequence[npt.NDArray[np.uint8]]) -> list[npt.NDArray[np.float32]]:
        """`detect` of each region, all of one frame's regions at once."""
        ...


class CameraPipeline:
    def __init__(self, name: str, camera: CameraConfig, detector: RegionDetector,
                 controls: CameraControls | None = None,
                 attributes_map: Mapping[str, Sequence[str]] = DEFAULT_ATTRIBUTES_MAP) -> None:
        self.name = name
        self.camera = camera
        self.detector = detector
        self.controls = controls
        self.height, self.width = camera.frame_shape
        self.motion = MotionDetector(camera.motion, (self.height, self.width))
        self.attributes_map = attributes_map  # `model.attributes_map`: labels the tracker attaches, never tracks
        self.tracker = ObjectTracker.for_camera(name, camera, attributes_map=attributes_map)
        self.wanted = set(camera.objects.track)
        self.detections_run = 0  # regions sent to the detector, for detection_fps

    def reconfigure(self, camera: CameraConfig) -> None:
        """Take a camera config whose masks, zones, filters or motion tuning changed (see
        `roost.config.live_update`); the detect size and streams must be the same."""
        if camera.frame_shape != (self.height, self.width):
            raise ValueError(f"{self.name}: a new detect size {camera.frame_shape} needs a restart")
        self.camera = camera
        self.motion.set_mask(camera.motion.mask)
        self.motion.tune(threshold=camera.motion.threshold, contour_area=camera.motion.contour_area,
                         improve_contrast=camera.motion.improve_contrast)
        self.tracker.reconfigure(camera.objects, camera.zones)
        logger.info("%s: masks and zones updated (%d zone(s), %d motion mask(s))", self.name, len(camera.zones),
                    len(camera.motion.mask))

    def process(self, frame_time: float, yuv: npt.NDArray[np.uint8]) -> FrameResult:
        """Handle one yuv420p frame, `(height * 3 // 2, width)` uint8."""
        self._apply_controls()
        motion_on = self.controls is None or self.controls.is_on("motion")
        motion_boxes = tuple(self.motion.detect(yuv)) if motion_on else ()
        detect_on = self.controls is None or (self.controls.is_on("detect") and self.controls.is_on("enabled"))
        if not detect_on:
            # Detection switched off ends what is tracked, as in Frigate; a fresh tracker
            # starts when it is switched back on.
            removed = self.tracker.objects
            if removed:
                self.tracker = ObjectTracker.for_camera(self.name, self.camera, attributes_map=self.attributes_map)
            return FrameResult(self.name, frame_time, motion_boxes, (), (), removed)
        regions = calculate_regions((self.height, self.width), motion_boxes,
                                    self.tracker.boxes_to_look_at(frame_time), self.detector.model_size,
                                    merge_iou=REGION_MERGE_IOU)
        detections: list[Detection] = []
        size = self.detector.model_size
        inputs = [region_rgb(yuv, (self.height, self.width), region, size) for region in regions]
        for region, rows in zip(regions, self.detector.detect_batch(inputs) if inputs else []):
            detections += detections_in_frame(rows, region, self.detector.labels, self.wanted)
        self.detections_run += len(regions)
        detections = suppress_duplicates(detections, (self.height, self.width))  # one per object across regions
        update = self.tracker.update(frame_time, detections, regions)
        best_frames: tuple[FramePixels, ...] = ()
        if any(o.best is not None and o.best.frame_time == frame_time for o in update.objects):
            best_frames = (FramePixels(frame_time, np.array(yuv, dtype=np.uint8, copy=True)),)
        return FrameResult(self.name, frame_time, motion_boxes, tuple(regions), update.objects,
                           update.removed, best_frames)

    def _apply_controls(self) -> None:
        """Pass run-time motion settings (MQTT `/set`) to the motion detector."""
        if self.controls is None:
            return
        self.motion.tune(enabled=self.controls.is_on("motion"),
                         threshold=self.controls.get("motion_threshold"),
                         contour_area=self.controls.get("motion_contour_area"),
                         improve_contrast=self.controls.is_on("improve_contrast"))
