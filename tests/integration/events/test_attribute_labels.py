"""Attribute labels through the whole pipeline: the real `CameraPipeline` (motion, regions,
tracker) on generated frames, a detector that emits person + face and car + fedex boxes
(each found by its colour, as a Frigate+ model would box them), and the real event
bookkeeping on SQLite with the snapshot writer. No events for faces or logos; the car's sub
label is `fedex`; the person's snapshot is the frame with the largest face, although later
frames score higher."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "track"))
from square_scene import FPS, T0, background, config, to_yuv  # noqa: E402

from roost.controls import CameraControls  # noqa: E402
from roost.events.frame_results import FrameResultHandler  # noqa: E402
from roost.events.processor import EventProcessor  # noqa: E402
from roost.events.review import ReviewRules, ReviewSegments  # noqa: E402
from roost.hub import Hub  # noqa: E402
from roost.store import Database, database_url  # noqa: E402
from roost.store.models import EventRow  # noqa: E402
from roost.track.camera import CameraPipeline  # noqa: E402

LABELS = ("person", "face", "car", "fedex")
#: RGB colour the detector reports as each label.
COLOURS = {"person": (220, 40, 40), "face": (240, 220, 40), "car": (40, 60, 220), "fedex": (150, 40, 200)}
#: Face side per frame while the person walks: the largest (30) comes early, scores rise after it.
FACES = [10, 14, 18, 30, 22, 16, 12, 0, 0, 14, 20, 24]


@dataclass
class ColourDetector:
    """`RegionDetector` boxing each colour of COLOURS it finds in the region; `scores`
    per label are what the next detections get."""

    scores: dict[str, float]
    model_size: int = 320
    labels: Sequence[str] = LABELS

    def detect(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        found = []
        size = rgb.shape[0]
        for index, label in enumerate(LABELS):
            mask = np.abs(rgb.astype(np.int16) - COLOURS[label]).max(axis=2) < 30
            ys, xs = np.nonzero(mask)
            if len(xs) < 20:
                continue
            found.append([index, self.scores[label], xs.min() / size, ys.min() / size, (xs.max() + 1) / size,
                          (ys.max() + 1) / size])
        return np.array(found, np.float32).reshape(-1, 6)

    def detect_batch(self, rgbs: Sequence[npt.NDArray[np.uint8]]) -> list[npt.NDArray[np.float32]]:
        return [self.detect(rgb) for rgb in rgbs]


def scene(frame: int, face: int) -> npt.NDArray[np.uint8]:
    """BGR: a person (60x150) walking right with a `face`-sided face at its head, a car
    (200x90) driving left with a fedex logo on its side."""
    image = background().copy()

    def fill(x: int, y: int, w: int, h: int, label: str) -> None:
        r, g, b = COLOURS[label]
        image[y:y + h, x:x + w] = (b, g, r)

    px = 60 + 6 * frame
    fill(px, 60, 60, 150, "person")
    if face:
        fill(px + 30 - face // 2, 66, face, face, "face")
    cx = 400 - 5 * frame
    fill(cx, 300, 200, 90, "car")
    fill(cx + 60, 330, 50, 24, "fedex")
    return image


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[tuple[CameraPipeline, FrameResultHandler, Database, ColourDetector]]:
    cfg = config(objects={"track": list(LABELS),
                          "filters": {"face": {"min_score": 0.5, "threshold": 0.99}, "fedex": {"min_score": 0.5}}})
    database = Database(database_url(None, None, tmp_path))
    database.migrate()
    hub = Hub()
    controls = {"yard": CameraControls.from_config("yard", cfg.cameras["yard"])}
    processor = EventProcessor(cfg, database, hub)
    review = ReviewSegments(database, hub, {"yard": ReviewRules.from_config(cfg.cameras["yard"].review)})
    handler = FrameResultHandler(cfg, database, hub, processor, review, controls, tmp_path / "clips")
    detector = ColourDetector({"person": 0.8, "face": 0.7, "car": 0.85, "fedex": 0.8})
    yield CameraPipeline("yard", cfg.cameras["yard"], detector, attributes_map=cfg.model.attributes_map), \
        handler, database, detector
    handler.writer.close()
    hub.close()
    database.close()


def test_faces_and_logos_make_no_events_set_the_sub_label_and_pick_the_snapshot(
        pipeline: tuple[CameraPipeline, FrameResultHandler, Database, ColourDetector]) -> None:
    camera, handler, database, detector = pipeline
    clock = 0

    def feed(image: npt.NDArray[np.uint8]) -> float:
        nonlocal clock
        frame_time = T0 + clock / FPS
        handler.handle(camera.process(frame_time, to_yuv(image)))
        clock += 1
        return frame_time

    for _ in range(3):
        feed(background())
    times = []
    for index, face in enumerate(FACES):
        detector.scores["person"] = 0.80 + 0.015 * index  # later frames score higher
        times.append(feed(scene(index, face)))
        handler.writer.flush()
    for _ in range(40):  # both leave: their events end with their final snapshots
        feed(background())
    handler.writer.flush()
    database.writer.submit(lambda s: None).result()
    time.sleep(0.2)
    with database.read() as session:
        events = {r.label: r for r in session.query(EventRow)}

    assert sorted(events) == ["car", "person"]  # no face or fedex events
    car, person = events["car"], events["person"]
    assert car.sub_label == "fedex" and car.sub_label_score == pytest.approx(0.8)
    assert person.end_time is not None and car.end_time is not None
    largest = times[FACES.index(max(FACES))]
    assert person.snapshot is not None and person.snapshot["frame_time"] == pytest.approx(largest)
    (face,) = person.snapshot["attributes"]
    assert face["label"] == "face" and abs(face["box"][2] - face["box"][0] - max(FACES)) <= 2  # yuv420 edges
    assert {a["label"] for a in person.data["attributes"]} == {"face"}
    assert {a["label"] for a in car.snapshot["attributes"]} == {"fedex"}
    assert person.has_snapshot
