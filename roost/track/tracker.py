"""`ObjectTracker`: one camera's objects, frame after frame.

Per frame (`update`): filter the detections (`roost.track.filters`), predict every tracked
object's box for this frame with a constant-velocity model, pair detections with objects
(`roost.track.matching`: same label, IoU + centre distance, cheapest first), then

- a matched object takes the detection's box, score (into its score history), region; its
  velocity estimate is smoothed; its position is checked for stationarity; its zones and
  best frame are updated;
- an object not matched although it was *looked for* (its predicted centre lies in one of
  this frame's regions, or outside the frame) records a 0.0 score and counts a disappeared
  frame; after more than `detect.max_disappeared` (`frames_until_gone`) such frames in a
  row it is gone. An object nobody looked for (a stationary one between re-checks) keeps
  its state;
- an unmatched detection starts a new object, unless it overlaps an object of its label
  by IoU > `SAME_OBJECT_IOU` (that object's box this frame: the matched detection's, else
  the prediction): a second box on one person, not a second person.

Attribute labels (`model.attributes_map`: a face, a plate, a logo) pass the same filters
but are never tracked: after the objects are updated, each attaches to the object that
contains it (`roost.track.attributes`), adding to its `attributes` and `current_attributes`,
setting a car's sub label from its logo and steering the best-frame choice.

Stationary objects are re-checked every `detect.stationary.interval` frames
(`boxes_to_look_at`); once a check misses one, it is looked for every frame until it is
found again or gone. Pure logic: no I/O; the random part of object ids comes from `rng`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from roost.config.camera import CameraConfig
from roost.config.services import DEFAULT_ATTRIBUTES_MAP
from roost.config.motion_detect import DetectConfig
from roost.config.objects import FilterConfig, ObjectsConfig, ZoneConfig
from roost.detect.detection import Detection
from roost.detect.region import Region
from roost.detect.regions import pairwise_iou
from roost.track.attributes import ObjectAttribute, all_attributes, assign_attributes, logo_sub_label, logos
from roost.track.best_frame import is_better_frame
from roost.track.filters import filter_detections
from roost.track.matching import MAX_MATCH_DISTANCE, centres, greedy_assignment, match_costs
from roost.track.score_history import computed_score, is_false_positive, missed, record_score
from roost.track.stationary import Position, new_position, update_position
from roost.track.tracked_object import BestFrame, Box, TrackedObject, new_object_id
from roost.track.zones import ZoneState, bottom_centres, points_in_polygons, update_zones

logger = logging.getLogger(__name__)

#: Weight of the newest observed velocity in the smoothed estimate.
VELOCITY_SMOOTHING = 0.5
#: Predictions extrapolate at most this long past the last detection, so an object hidden
#: behind something is looked for near where it was, not far along its old path.
MAX_PREDICTION_SECONDS = 1.0
#: The match gate widens by this many box sizes per frame an object has been missing.
GATE_GROWTH_PER_MISSED_FRAME = 0.5
#: An unmatched detection overlapping a tracked object of its label by more than this is a
#: duplicate of it (a second box on one person), never a new object.
SAME_OBJECT_IOU = 0.5


@dataclass
class _Track:
    """Mutable tracker-internal state of one object; `ObjectTracker` snapshots it."""

    id: str
    label: str
    start_time: float
    box: Box
    seen_time: float
    seen_frame: int
    score: float
    area: int
    ratio: float
    region: Region
    position: Position
    history: tuple[float, ...] = ()
    computed: float = 0.0
    top_score: float = 0.0
    false_positive: bool = True
    velocity: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(4))
    observations: int = 1
    motionless_count: int = 0
    position_changes: int = 0
    #: The frame it last moved on (or appeared on): `stationary.max_frames` counts from here.
    moved_frame: int = 0
    disappeared: int = 0
    zones: ZoneState = field(default_factory=ZoneState)
    best: BestFrame | None = None
    sub_label: tuple[str, float] | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    current_attributes: tuple[ObjectAttribute, ...] = ()


@dataclass(frozen=True)
class TrackerUpdate:
    """What one `update` produced: every live object's snapshot, the ids that appeared this
    frame, and the final snapshots of the objects that are gone."""

    frame_time: float
    objects: tuple[TrackedObject, ...]
    new: tuple[str, ...]
    removed: tuple[TrackedObject, ...]


class ObjectTracker:
    """Tracks one camera's objects; call `update` once per processed frame, in order."""

    def __init__(self, camera: str, objects: ObjectsConfig, zones: Mapping[str, ZoneConfig],
                 detect: DetectConfig, frame_shape: tuple[int, ...], best_image_timeout: float = 60.0,
                 rng: random.Random | None = None,
                 attributes_map: Mapping[str, Sequence[str]] = DEFAULT_ATTRIBUTES_MAP) -> None:
        self.camera = camera
        self.objects_config = objects
        self.zones = dict(zones)
        self.detect = detect
        self.height, self.width = int(frame_shape[0]), int(frame_shape[1])
        self.best_image_timeout = best_image_timeout
        self._rng = rng if rng is not None else random.SystemRandom()
        self.attributes_map = {label: tuple(names) for label, names in attributes_map.items()}
        self._attribute_labels = frozenset(all_attributes(attributes_map))
        self._logos = logos(attributes_map)
        self._zone_polygons = [zone.coordinates for zone in self.zones.values()]
        self._tracks: dict[str, _Track] = {}
        self._frame = 0
        self._frame_time = 0.0

    @classmethod
    def for_camera(cls, name: str, camera: CameraConfig, rng: random.Random | None = None,
                   attributes_map: Mapping[str, Sequence[str]] = DEFAULT_ATTRIBUTES_MAP) -> ObjectTracker:
        return cls(name, camera.objects, camera.zones, camera.detect, camera.frame_shape,
                   camera.best_image_timeout, rng, attributes_map)

    def reconfigure(self, objects: ObjectsConfig, zones: Mapping[str, ZoneConfig]) -> None:
        """New object filters/masks and zones while running (the web UI's zone editor);
        tracked objects stay. An object leaves a zone that is gone at once; a new or moved
        zone is entered by the usual rules (inertia, loitering time) from the next frame."""
        self.objects_config = objects
        self.zones = dict(zones)
        self._zone_polygons = [zone.coordinates for zone in self.zones.values()]
        for track in self._tracks.values():
            state = track.zones
            track.zones = ZoneState(tuple(z for z in state.current if z in self.zones), state.entered,
                                    tuple(p for p in state.presence if p[0] in self.zones))

    @property
    def objects(self) -> tuple[TrackedObject, ...]:
        return tuple(self._snapshot(track) for track in self._tracks.values())

    def predicted_boxes(self, frame_time: float) -> dict[str, Box]:
        """Every object's box extrapolated to `frame_time`, clipped to the frame."""
        tracks = list(self._tracks.values())
        boxes = np.clip(self._predict(tracks, frame_time), 0, [self.width, self.height] * 2)
        return {t.id: (int(b[0]), int(b[1]), int(b[2]), int(b[3])) for t, b in zip(tracks, boxes.round())}

    def boxes_to_look_at(self, frame_time: float) -> list[Box]:
        """Predicted boxes of the objects the next frame's regions should cover: all but the
        stationary ones between their re-checks (every `stationary.interval` frames)."""
        interval = self.detect.stationary.interval
        predicted = self.predicted_boxes(frame_time)
        return [predicted[t.id] for t in self._tracks.values()
                if not self._is_stationary(t) or t.disappeared > 0 or interval == 0
                or self._frame + 1 - t.seen_frame >= interval]

    def update(self, frame_time: float, detections: Sequence[Detection],
               regions: Sequence[Region] | None = None) -> TrackerUpdate:
        """Advance one frame. `detections` are the detector's raw results for this frame (the
        camera's object filters are applied here); `regions` are the squares the detector
        looked at (None: the whole frame)."""
        self._frame += 1
        self._frame_time = frame_time
        kept = filter_detections(detections, self.objects_config)
        attributes = [d for d in kept if d.label in self._attribute_labels]
        detections = [d for d in kept if d.label not in self._attribute_labels]
        tracks = list(self._tracks.values())
        predicted = self._predict(tracks, frame_time)
        detected = np.array([d.box for d in detections], np.float64).reshape(-1, 4)
        gates = np.array([MAX_MATCH_DISTANCE + GATE_GROWTH_PER_MISSED_FRAME * t.disappeared for t in tracks])
        costs = match_costs(predicted, detected, [t.label for t in tracks], [d.label for d in detections],
                            gates.reshape(-1))
        pairs = greedy_assignment(costs)
        seen: list[tuple[_Track, Detection]] = [(tracks[t], detections[d]) for t, d in pairs]
        matched_tracks = {t for t, _ in pairs}
        matched_detections = {d for _, d in pairs}

        looked = self._looked_for(predicted, regions)
        removed: list[TrackedObject] = []
        for index, track in enumerate(tracks):
            if index not in matched_tracks and looked[index]:
                self._miss(track)
                if track.disappeared > self.detect.frames_until_gone:
                    del self._tracks[track.id]
                    removed.append(self._snapshot(track))
                    logger.debug("%s %s gone after %d missed frames", track.label, track.id, track.disappeared)
        for track, detection in seen:
            self._observe(track, detection, frame_time)
        expired = self._expire_stationary()
        removed += expired
        if expired:
            gone = {obj.id for obj in expired}
            seen = [(track, detection) for track, detection in seen if track.id not in gone]
        unmatched = [d for i, d in enumerate(detections) if i not in matched_detections]
        new = [self._register(d, frame_time) for d in self._not_tracked(unmatched, predicted, tracks, matched_tracks)]
        seen += new
        self._update_zones([track for track, _ in seen])
        self._attach_attributes(attributes)
        for track, detection in seen:
            self._update_best(track, detection, frame_time)
        return TrackerUpdate(frame_time, self.objects, tuple(t.id for t, _ in new), tuple(removed))

    def set_sub_label(self, object_id: str, name: str, score: float) -> None:
        """Record a classifier's sub label for an object (ignored if it is gone)."""
        if object_id in self._tracks:
            self._tracks[object_id].sub_label = (name, score)

    def set_attribute(self, object_id: str, name: str, score: float) -> None:
        """Record an attribute (e.g. a classifier's class) for an object, keeping its best score."""
        if object_id in self._tracks:
            attributes = self._tracks[object_id].attributes
            attributes[name] = max(score, attributes.get(name, 0.0))

    def _attach_attributes(self, attributes: Sequence[Detection]) -> None:
        """This frame's attribute detections onto the objects containing them (module doc);
        every object's `current_attributes` become this frame's."""
        attached = assign_attributes(attributes, [(t.id, t.label, t.box) for t in self._tracks.values()],
                                     self.attributes_map) if attributes else {}
        for track in self._tracks.values():
            track.current_attributes = tuple(attached.get(track.id, ()))
            for attribute in track.current_attributes:
                track.attributes[attribute.label] = max(attribute.score, track.attributes.get(attribute.label, 0.0))
            if track.current_attributes:
                sub_label = logo_sub_label(track.label, track.attributes, self._logos, track.sub_label)
                if sub_label != track.sub_label:
                    logger.debug("%s %s sub label %s from its logo", track.label, track.id, sub_label)
                    track.sub_label = sub_label

    def _predict(self, tracks: Sequence[_Track], frame_time: float) -> npt.NDArray[np.float64]:
        """`(T, 4)` boxes extrapolated with each object's velocity (unclipped); a stationary
        object is predicted where it was last seen."""
        if not tracks:
            return np.zeros((0, 4))
        boxes = np.array([t.box for t in tracks], np.float64)
        moving = np.array([not self._is_stationary(t) for t in tracks])
        velocity = np.array([t.velocity for t in tracks], np.float64) * moving[:, None]
        elapsed = np.clip([frame_time - t.seen_time for t in tracks], 0.0, MAX_PREDICTION_SECONDS)
        predicted: npt.NDArray[np.float64] = boxes + velocity * elapsed[:, None]
        return predicted

    def _looked_for(self, predicted: npt.NDArray[np.float64], regions: Sequence[Region] | None) -> npt.NDArray[np.bool_]:
        """`(T,)`: whether the detector looked where each object was predicted to be."""
        if regions is None:
            return np.ones(len(predicted), bool)
        centre = centres(predicted)
        outside = ((centre < 0) | (centre >= [self.width, self.height])).any(axis=1)
        squares = np.array(regions, np.float64).reshape(-1, 4)
        within = (centre[:, None, :] >= squares[None, :, :2]) & (centre[:, None, :] < squares[None, :, 2:])
        in_region = np.any(np.all(within, axis=2), axis=1)
        result: npt.NDArray[np.bool_] = np.logical_or(outside, in_region)
        return result

    def _not_tracked(self, detections: Sequence[Detection], predicted: npt.NDArray[np.float64],
                     tracks: Sequence[_Track], matched: set[int]) -> list[Detection]:
        """The unmatched `detections` that may start objects: not overlapping a live object of
        their label (its box this frame) nor an earlier one of them by IoU > `SAME_OBJECT_IOU`."""
        live = [(t.label, t.box if i in matched else tuple(predicted[i]))
                for i, t in enumerate(tracks) if t.id in self._tracks]
        starting: list[Detection] = []
        for detection in detections:
            taken = [box for label, box in live if label == detection.label]
            taken += [d.box for d in starting if d.label == detection.label]
            if taken and pairwise_iou(np.array([detection.box], np.float64),
                                      np.array(taken, np.float64)).max() > SAME_OBJECT_IOU:
                logger.debug("%s at %s overlaps a tracked %s: not a new object", detection.label, detection.box,
                             detection.label)
                continue
            starting.append(detection)
        return starting

    def _register(self, detection: Detection, frame_time: float) -> tuple[_Track, Detection]:
        track = _Track(id=new_object_id(frame_time, self._rng), label=detection.label, start_time=frame_time,
                       box=detection.box, seen_time=frame_time, seen_frame=self._frame,
                       score=detection.score, area=detection.area, ratio=detection.ratio,
                       region=detection.region, position=new_position(detection.box), moved_frame=self._frame)
        self._score(track, record_score((), detection.score, self._filter(track).min_score))
        self._tracks[track.id] = track
        logger.debug("new %s %s at %s score %.2f", track.label, track.id, track.box, detection.score)
        return track, detection

    def _observe(self, track: _Track, detection: Detection, frame_time: float) -> None:
        # Frames come at most `detect.fps` a second; closer stamps are a burst read after a
        # stall, whose motion spans more time than the stamps say.
        elapsed = max(frame_time - track.seen_time, (self._frame - track.seen_frame) / self.detect.fps)
        if elapsed > 0:
            observed = (np.array(detection.box, np.float64) - np.array(track.box, np.float64)) / elapsed
            track.velocity = observed if track.observations == 1 else (
                VELOCITY_SMOOTHING * observed + (1 - VELOCITY_SMOOTHING) * track.velocity)
        track.observations += 1
        track.box, track.area, track.ratio, track.region = detection.box, detection.area, detection.ratio, detection.region
        track.score, track.seen_time, track.seen_frame, track.disappeared = detection.score, frame_time, self._frame, 0
        self._score(track, record_score(track.history, detection.score, self._filter(track).min_score))
        track.position, still = update_position(track.position, detection.box)
        if still:
            track.motionless_count += 1
        else:
            if track.position_changes == 0 or self._is_stationary(track):
                track.position_changes += 1
            track.motionless_count = 0
            track.moved_frame = self._frame

    def _expire_stationary(self) -> list[TrackedObject]:
        """Drop objects that stayed put longer than `detect.stationary.max_frames` for their
        label (Frigate's rule: they are taken as gone and their events end). Frames count
        whether or not the object was looked at: a stationary one is only re-checked every
        `interval` frames, but it stood there all along."""
        limits = self.detect.stationary.max_frames
        if limits.default is None and not limits.objects:
            return []  # the usual case: no limit, nothing to look at on every frame
        expired = []
        for track in list(self._tracks.values()):
            limit = limits.for_label(track.label)
            if limit is not None and self._frame - track.moved_frame > limit:
                del self._tracks[track.id]
                expired.append(self._snapshot(track))
                logger.debug("%s %s gone: stationary for more than %d frames", track.label, track.id, limit)
        return expired

    def _miss(self, track: _Track) -> None:
        track.disappeared += 1
        self._score(track, missed(track.history))

    def _score(self, track: _Track, history: tuple[float, ...]) -> None:
        track.history = history
        track.computed = computed_score(history)
        track.top_score = max(track.top_score, track.computed)
        track.false_positive = is_false_positive(track.false_positive, track.computed, self._filter(track).threshold)

    def _update_zones(self, tracks: Sequence[_Track]) -> None:
        if not self.zones or not tracks:
            return
        inside = points_in_polygons(bottom_centres(np.array([t.box for t in tracks])), self._zone_polygons)
        for track, row in zip(tracks, inside):
            before = track.zones
            track.zones = update_zones(before, row.tolist(), track.label, track.area, track.ratio,
                                       track.computed, self.zones, self.detect.fps)
            if track.zones.current != before.current:
                logger.debug("%s %s zones %s -> %s", track.label, track.id, before.current, track.zones.current)

    def _update_best(self, track: _Track, detection: Detection, frame_time: float) -> None:
        if track.false_positive:
            return
        candidate = BestFrame(frame_time, detection.score, detection.box, detection.area, detection.region,
                              track.current_attributes)
        if is_better_frame(candidate, track.best, self.best_image_timeout, track.label):
            track.best = candidate

    def _filter(self, track: _Track) -> FilterConfig:
        return self.objects_config.filter_for(track.label)

    def _is_stationary(self, track: _Track) -> bool:
        return track.motionless_count >= self.detect.stationary.threshold

    def _snapshot(self, track: _Track) -> TrackedObject:
        v = track.velocity
        return TrackedObject(
            id=track.id, camera=self.camera, label=track.label, frame_time=self._frame_time,
            start_time=track.start_time, score=track.score, score_history=track.history,
            computed_score=track.computed, top_score=track.top_score, false_positive=track.false_positive,
            box=track.box, area=track.area, ratio=track.ratio, region=track.region,
            velocity=(float(v[0]), float(v[1]), float(v[2]), float(v[3])),
            current_zones=track.zones.current, entered_zones=track.zones.entered,
            stationary=self._is_stationary(track), motionless_count=track.motionless_count,
            position_changes=track.position_changes, disappeared=track.disappeared, best=track.best,
            sub_label=track.sub_label, attributes=tuple(sorted(track.attributes.items())),
            current_attributes=track.current_attributes)
