"""All configured custom classifiers of a running Roost, fed with each processed frame."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from roost.classify.runtime import EventLabels, ObjectClassifier, StateClassifier
from roost.config.root import RoostConfig
from roost.hub import Hub
from roost.track.frame_result import FrameResult

logger = logging.getLogger(__name__)

LatestFrame = Callable[[str], Any]  # camera → object with `.image` (BGR) or None


class Classifiers:
    def __init__(self, config: RoostConfig, model_cache: Path, clips_dir: Path, hub: Hub, events: EventLabels,
                 latest_frame: LatestFrame) -> None:
        self.latest_frame = latest_frame
        self.states: list[StateClassifier] = []
        self.objects: list[ObjectClassifier] = []
        for name, model in config.classification.custom.items():
            if model.state_config is not None:
                self.states.append(StateClassifier(name, model, config.cameras, model_cache, clips_dir, hub))
            else:
                self.objects.append(ObjectClassifier(name, model, model_cache, clips_dir, hub, events))

    def status(self) -> dict[str, dict[str, Any]]:
        """Per model: untrained/complete and, for state models, the current state per camera."""
        result: dict[str, dict[str, Any]] = {}
        for state in self.states:
            result[state.name] = {"status": state.slot.status, "states": state.current_states()}
        for obj in self.objects:
            result[obj.name] = {"status": obj.slot.status}
        return result

    def on_frame_result(self, result: FrameResult) -> None:
        if not self.states and not self.objects:
            return
        cache: dict[str, npt.NDArray[np.uint8] | None] = {}

        def frame(camera: str) -> npt.NDArray[np.uint8] | None:
            if camera not in cache:
                latest = self.latest_frame(camera)
                cache[camera] = None if latest is None else latest.image
            return cache[camera]

        for state in self.states:
            state.on_frame(result.camera, result.frame_time, frame, result.motion_boxes)
        for obj in self.objects:
            obj.on_objects(result.camera, result.frame_time, result.objects, result.removed, frame)
