"""Custom classification at run time: state models on fixed crops, object models on tracked
objects. Both run in the main process on the newest frame of a camera, load their model
from the model cache, pick up a newly trained model without a restart, and keep their
verified state across reloads."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from roost.classify.attempt_saving import STATE_EVENT_ID, attempt_name, keep_state_attempt, save_attempt
from roost.classify.consensus import MAX_COUNTED_ATTEMPTS, Attempt, add_attempt, consensus
from roost.classify.messages import ObjectClassification, StateClassification
from roost.classify.model_files import LoadedModel, ModelNotTrainedError, load_model, model_paths
from roost.classify.verification import StateVerification, verify_state
from roost.config.camera import CameraConfig
from roost.config.classification import CustomClassificationConfig
from roost.hub import Hub
from roost.motion.box import MotionBox
from roost.track.tracked_object import TrackedObject

logger = logging.getLogger(__name__)

RELOAD_CHECK_S = 1.0
MOTION_TRIGGER_S = 1.0  # motion over a crop runs the model at most once a second
PENDING_TRIGGER_S = 0.5  # while a state change is pending, every half second
OBJECT_CROP_MARGIN = 1.1

Image = npt.NDArray[np.uint8]
FrameSource = Callable[[str], Image | None]  # camera → newest BGR frame at detect size


class ModelSlot:
    """One model's loaded session; reloaded when training replaces `model.onnx`."""

    def __init__(self, name: str, model_cache: Path) -> None:
        self.name, self.model_cache = name, model_cache
        self.loaded: LoadedModel | None = None
        self._checked = 0.0

    @property
    def status(self) -> str:
        return "complete" if self.loaded is not None else "untrained"

    def current(self, now: float | None = None) -> LoadedModel | None:
        now = time.monotonic() if now is None else now
        if now - self._checked < RELOAD_CHECK_S:
            return self.loaded
        self._checked = now
        path = model_paths(self.name, self.model_cache).model
        mtime = path.stat().st_mtime if path.is_file() else None
        if mtime is None or (self.loaded is not None and self.loaded.mtime == mtime):
            return self.loaded
        try:
            self.loaded = load_model(self.name, self.model_cache)
            logger.info("classification model %s loaded (classes %s)", self.name, self.loaded.labels)
        except (ModelNotTrainedError, ValueError, OSError) as error:
            logger.warning("classification model %s not loaded: %s", self.name, error)
        return self.loaded


def classify(model: LoadedModel, crop_bgr: Image) -> tuple[str, float, list[float]]:
    probabilities = model.predict(cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2RGB))[0]
    best = int(np.argmax(probabilities))
    return model.labels[best], float(probabilities[best]), [round(float(p), 4) for p in probabilities]


def overlaps(box: Sequence[int], crop: Sequence[int]) -> bool:
    return box[0] < crop[2] and box[2] > crop[0] and box[1] < crop[3] and box[3] > crop[1]


@dataclass
class _CameraState:
    verification: StateVerification = field(default_factory=StateVerification)
    last_run: float = float("-inf")
    last_motion_run: float = float("-inf")
    attempts: int = 0


class StateClassifier:
    """One state model on its cameras' crops. Call `on_frame` for every processed frame."""

    def __init__(self, name: str, config: CustomClassificationConfig, cameras: Mapping[str, CameraConfig],
                 model_cache: Path, clips_dir: Path, hub: Hub) -> None:
        assert config.state_config is not None
        self.name, self.config, self.hub = name, config, hub
        self.slot = ModelSlot(name, model_cache)
        self.attempts_dir = clips_dir / name / "train"
        self.crops = {cam: c.crop_pixels(cameras[cam].frame_shape[1], cameras[cam].frame_shape[0])
                      for cam, c in config.state_config.cameras.items() if cam in cameras}
        self.states = {cam: _CameraState() for cam in self.crops}

    def current_states(self) -> dict[str, str | None]:
        return {cam: s.verification.current for cam, s in self.states.items()}

    def due(self, camera: str, frame_time: float, motion_boxes: Sequence[MotionBox]) -> bool:
        state, state_config = self.states[camera], self.config.state_config
        assert state_config is not None
        if state.verification.pending is not None and frame_time - state.last_run >= PENDING_TRIGGER_S:
            return True
        if state_config.interval and frame_time - state.last_run >= state_config.interval:
            return True
        return bool(state_config.motion and frame_time - state.last_motion_run >= MOTION_TRIGGER_S
                    and any(overlaps(b, self.crops[camera]) for b in motion_boxes))

    def on_frame(self, camera: str, frame_time: float, frames: FrameSource,
                 motion_boxes: Sequence[MotionBox]) -> None:
        if not self.config.enabled or camera not in self.states or not self.due(camera, frame_time, motion_boxes):
            return
        model = self.slot.current()
        frame = frames(camera) if model is not None else None
        if model is None or frame is None:
            return
        state = self.states[camera]
        state.last_run = frame_time
        if any(overlaps(b, self.crops[camera]) for b in motion_boxes):
            state.last_motion_run = frame_time
        x1, y1, x2, y2 = self.crops[camera]
        crop = np.ascontiguousarray(frame[y1:y2, x1:x2])
        label, score, probabilities = classify(model, crop)
        before = state.verification
        state.verification, changed = verify_state(before, label, score, self.config.threshold)
        logger.debug("%s on %s: %s %.3f (probabilities %s, threshold %.2f) → current %s, pending %s ×%d",
                     self.name, camera, label, score, probabilities, self.config.threshold,
                     state.verification.current, state.verification.pending, state.verification.pending_count)
        if keep_state_attempt(state.attempts == 0, label, score, before):
            save_attempt(self.attempts_dir, attempt_name(STATE_EVENT_ID, frame_time, label, score), crop,
                         self.config.save_attempts_resolved)
        state.attempts += 1
        if changed:
            logger.debug("%s on %s: state is now %s; publishing", self.name, camera, label)
            self.hub.publish(StateClassification(camera, self.name, label))


class EventLabels(Protocol):
    """Where object classifications land (the event processor)."""

    def set_sub_label(self, event_id: str, name: str, score: float) -> bool: ...

    def set_attribute(self, event_id: str, name: str, score: float) -> bool: ...


class ObjectClassifier:
    """One object model on the tracked objects of its labels. Call `on_objects` per frame."""

    def __init__(self, name: str, config: CustomClassificationConfig, model_cache: Path, clips_dir: Path,
                 hub: Hub, events: EventLabels) -> None:
        assert config.object_config is not None
        self.name, self.config, self.hub, self.events = name, config, hub, events
        self.object_config = config.object_config
        self.slot = ModelSlot(name, model_cache)
        self.attempts_dir = clips_dir / name / "train"
        self.histories: dict[str, tuple[Attempt, ...]] = {}
        self.assigned: set[str] = set()

    def wants(self, obj: TrackedObject) -> bool:
        return (not obj.false_positive and obj.label in self.object_config.objects
                and obj.area >= self.object_config.min_area and obj.id not in self.assigned
                and len(self.histories.get(obj.id, ())) < MAX_COUNTED_ATTEMPTS)

    def on_objects(self, camera: str, frame_time: float, objects: Sequence[TrackedObject],
                   removed: Sequence[TrackedObject], frames: FrameSource) -> None:
        for obj in removed:
            self.histories.pop(obj.id, None)
            self.assigned.discard(obj.id)
        todo = [o for o in objects if self.wants(o)] if self.config.enabled else []
        model = self.slot.current() if todo else None
        frame = frames(camera) if model is not None else None
        if model is None or frame is None:
            return
        for obj in todo:
            crop = square_crop(frame, obj.box)
            label, score, probabilities = classify(model, crop)
            history = add_attempt(self.histories.get(obj.id, ()), label, score, self.config.threshold)
            self.histories[obj.id] = history
            save_attempt(self.attempts_dir, attempt_name(obj.id, frame_time, label, score), crop,
                         self.config.save_attempts_resolved)
            result = consensus(history)
            logger.debug("%s on %s %s: %s %.3f (probabilities %s); %d counted, consensus %s",
                         self.name, obj.label, obj.id, label, score, probabilities, len(history), result)
            if result is not None:
                self._assign(camera, frame_time, obj, *result)

    def _assign(self, camera: str, frame_time: float, obj: TrackedObject, label: str, score: float) -> None:
        self.assigned.add(obj.id)
        if self.object_config.classification_type == "sub_label":
            applied = self.events.set_sub_label(obj.id, label, score)
        else:
            applied = self.events.set_attribute(obj.id, f"{self.name}: {label}", score)
        if applied:
            logger.debug("%s: %s %s is %s (%.3f)", self.name, obj.label, obj.id, label, score)
            self.hub.publish(ObjectClassification(obj.id, camera, frame_time, self.name,
                                                  self.object_config.classification_type, label, score))


def square_crop(frame: Image, box: Sequence[int]) -> Image:
    """A square around `box` (its longer side plus a margin), kept inside the frame."""
    height, width = frame.shape[:2]
    side = min(int(max(box[2] - box[0], box[3] - box[1]) * OBJECT_CROP_MARGIN), width, height)
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    x1 = min(max(cx - side // 2, 0), width - side)
    y1 = min(max(cy - side // 2, 0), height - side)
    return np.ascontiguousarray(frame[y1:y1 + side, x1:x1 + side])
