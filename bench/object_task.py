"""The real-footage object task of bench/train.py: people in vtest.avi by trouser colour.

`train_people.json` (beside this file) holds person tracks found by Roost's default
detector and labelled by eye: `jeans` or `dark` trousers. Each track is one event. Crops
are what run-time classification saves: `square_crop` around the box, at most
`ATTEMPTS_PER_EVENT` evenly spaced frames per event (Roost counts at most 16 attempts per
object). `none` events are stationary false positives: a square of background (grass,
road, signs, cones) where no person was detected, held for `ATTEMPTS_PER_EVENT` frames.

Split in time: events that start before `SPLIT_FRAME` are the pool a user labels from;
events that start later are the later footage the model is judged on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from roost.classify.runtime import square_crop

PEOPLE = Path(__file__).with_name("train_people.json")
SPLIT_FRAME = 420
ATTEMPTS_PER_EVENT = 16
NONE_EVENTS_PER_SPLIT = 14
EPOCH = 1_700_000_000.0
FPS = 10.0


@dataclass(frozen=True)
class Crop:
    """One attempt image (RGB) of an event, with its storage name's parts."""

    image: np.ndarray
    label: str
    event_id: str
    frame: int
    later: bool

    @property
    def timestamp(self) -> float:
        return EPOCH + self.frame / FPS

    def file_name(self, score: float = 0.9) -> str:
        """`<event_id>-<timestamp>-<class>-<score>.png`, as categorize stores an attempt."""
        return f"{self.event_id}-{self.timestamp:.6f}-{self.label}-{score:.2f}.png"


def read_frames(video: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def event_id(start_frame: int, serial: int) -> str:
    """Frigate's event id shape: `<start epoch>.<6 decimals>-<6 of [a-z0-9]>`."""
    return f"{EPOCH + start_frame / FPS:.6f}-{serial:06d}"


def _spread(items: list[list[int]], count: int) -> list[list[int]]:
    picks = np.unique(np.linspace(0, len(items) - 1, min(count, len(items))).round().astype(int))
    return [items[i] for i in picks]


def person_crops(frames: list[np.ndarray], tracks: list[dict[str, object]]) -> list[Crop]:
    crops = []
    for serial, track in enumerate(tracks):
        rows: list[list[int]] = track["frames"]  # type: ignore[assignment]
        start = rows[0][0]
        ident = event_id(start, serial)
        for frame, x1, y1, x2, y2 in _spread(rows, ATTEMPTS_PER_EVENT):
            rgb = cv2.cvtColor(square_crop(frames[frame], [x1, y1, x2, y2]), cv2.COLOR_BGR2RGB)
            crops.append(Crop(rgb, str(track["label"]), ident, frame, start >= SPLIT_FRAME))
    return crops


def none_crops(frames: list[np.ndarray], tracks: list[dict[str, object]], seed: int = 0) -> list[Crop]:
    """Stationary background squares (40–110 px) in the walking area, clear of every person box."""
    rng = np.random.default_rng(seed)
    boxes_at: dict[int, list[list[int]]] = {}
    for track in tracks:
        for frame, *box in track["frames"]:  # type: ignore[attr-defined]
            boxes_at.setdefault(frame, []).append(box)
    height, width = frames[0].shape[:2]
    crops: list[Crop] = []
    serial = 10_000
    for later in (False, True):
        made = 0
        while made < NONE_EVENTS_PER_SPLIT:
            lo, hi = (0, SPLIT_FRAME - ATTEMPTS_PER_EVENT) if not later else (SPLIT_FRAME, len(frames) - ATTEMPTS_PER_EVENT)
            start = int(rng.integers(lo, hi))
            side = int(rng.integers(40, 111))
            x, y = int(rng.integers(0, width - side)), int(rng.integers(100, height - side))
            span = range(start, start + ATTEMPTS_PER_EVENT)
            if any(b[0] < x + side and x < b[2] and b[1] < y + side and y < b[3]
                   for f in span for b in boxes_at.get(f, [])):
                continue
            ident = event_id(start, serial)
            serial += 1
            made += 1
            for frame in span:
                rgb = cv2.cvtColor(frames[frame][y:y + side, x:x + side], cv2.COLOR_BGR2RGB)
                crops.append(Crop(np.ascontiguousarray(rgb), "none", ident, frame, later))
    return crops


def object_task(seed: int = 0) -> list[Crop]:
    """Every crop of the task: labelled people and `none` background, early and later."""
    data = json.loads(PEOPLE.read_text())
    frames = read_frames(Path(data["video"]))
    tracks = data["tracks"]
    return person_crops(frames, tracks) + none_crops(frames, tracks, seed)


def write_crops(crops: list[Crop], folder: Path, names: list[str] | None = None) -> list[Path]:
    """Each crop as PNG under `folder` (its attempt-style name unless `names` are given)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, crop in enumerate(crops):
        path = folder / (names[i] if names else crop.file_name())
        cv2.imwrite(str(path), cv2.cvtColor(crop.image, cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def balanced_accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean recall over the classes present in `truth`: each class weighs the same, as in
    the user's class-balanced dataset, however many frames of each the later footage has."""
    return float(np.mean([(predicted[truth == c] == c).mean() for c in np.unique(truth)]))
