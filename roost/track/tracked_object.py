"""`TrackedObject`: the track stage's currency type, and object ids."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from roost.detect.region import Region
from roost.track.attributes import ObjectAttribute

from roost.box import Box as Box  # re-exported: the tracker imports it from here

#: Characters of the random part of an object id (CONTRACT.md: 6 of [a-z0-9]).
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_RANDOM_LENGTH = 6


def new_object_id(start_time: float, rng: random.Random) -> str:
    """`"<start epoch>.<6 decimals>-<6 random [a-z0-9]>"`, e.g. `1607123955.475377-mxklsc`.

    >>> new_object_id(1607123955.475377, random.Random(1))[:18]
    '1607123955.475377-'
    """
    suffix = "".join(rng.choice(ID_ALPHABET) for _ in range(ID_RANDOM_LENGTH))
    return f"{start_time:.6f}-{suffix}"


@dataclass(frozen=True)
class BestFrame:
    """The frame kept as an object's snapshot (see `roost.track.best_frame`): when
    (`frame_time`, epoch seconds), how sure (`score`, the detection's) and where (`box` and
    `region` in frame pixels, `area` in pixels) and which attributes (a face, a plate)
    were attached to the object in that frame."""

    frame_time: float
    score: float
    box: Box
    area: int
    region: Region
    attributes: tuple[ObjectAttribute, ...] = ()


@dataclass(frozen=True)
class TrackedObject:
    """An immutable snapshot of one tracked object after a tracker update.

    Boxes are `x1, y1, x2, y2` in detect-frame pixels (x2/y2 exclusive); times are epoch
    seconds. `score` is the latest detection's score (kept while the object is missing;
    the history records the 0.0s), `score_history` the last scores as recorded
    (`roost.track.score_history`), `computed_score` their padded median and `top_score` the
    highest computed score so far. `velocity` is the estimated motion of each box edge,
    `(dx1, dy1, dx2, dy2)` in pixels per second, used to predict where to look next.
    `current_zones` follow the camera's zone order, `entered_zones` the order entered.
    `motionless_count` counts detections without moving; `stationary` is true once it
    reaches `detect.stationary.threshold`. `position_changes` counts the first move and
    every move after having been stationary. `disappeared` counts consecutive frames in
    which the object was looked for and not found. `best` is None while the object is a
    false positive. `attributes` are `(name, score)` pairs, the best score of each
    attribute label ever attached (`roost.track.attributes`) or set by a classifier;
    `current_attributes` are the attribute detections attached in this frame;
    `sub_label` is `(name, score)`.
    """

    id: str
    camera: str
    label: str
    frame_time: float
    start_time: float
    score: float
    score_history: tuple[float, ...]
    computed_score: float
    top_score: float
    false_positive: bool
    box: Box
    area: int
    ratio: float
    region: Region
    velocity: tuple[float, float, float, float]
    current_zones: tuple[str, ...]
    entered_zones: tuple[str, ...]
    stationary: bool
    motionless_count: int
    position_changes: int
    disappeared: int
    best: BestFrame | None
    sub_label: tuple[str, float] | None = None
    attributes: tuple[tuple[str, float], ...] = ()
    current_attributes: tuple[ObjectAttribute, ...] = ()

    @property
    def active(self) -> bool:
        """Moving (not stationary), as MQTT's `/active` counts mean it."""
        return not self.stationary
