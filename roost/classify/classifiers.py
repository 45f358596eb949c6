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
        self.model_cache, self.clips_dir, self.hub, self.events = model_cache, clips_dir, hub, events
        self.states: list[StateClassifier] = []
        self.objects: list[ObjectClassifier] = []
        self.reconfigure(config)

    def reconfigure(self, config: RoostConfig) -> None:
        """Apply `classification.custom` at run time: new models start, removed ones stop,
        unchanged ones keep running; a changed state model keeps its cameras' verified states."""
        old_states = {s.name: s for s in self.states}
        old_objects = {o.name: o for o in self.objects}
        states: list[StateClassifier] = []
        objects: list[ObjectClassifier] = []
        for name, model in config.classification.custom.items():
            if model.state_config is not None:
                previous = old_states.get(name)
                if previous is not None and previous.config == model:
                    states.append(previous)
                    continue
                fresh = StateClassifier(name, model, config.cameras, self.model_cache, self.clips_dir, self.hub)
                if previous is not None:
                    for camera in fresh.states.keys() & previous.states.keys():
                        fresh.states[camera] = previous.states[camera]
                states.append(fresh)
            else:
                kept = old_objects.get(name)
                objects.append(kept if kept is not None and kept.config == model else
                               ObjectClassifier(name, model, self.model_cache, self.clips_dir, self.hub, self.events))
        self.states, self.objects = states, objects
        logger.info("classification models: %s", ", ".join(config.classification.custom) or "none")

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
