"""The frame-results handler driven by the real `CameraPipeline` on synthetic frames (a fake
detector that finds coloured squares): snapshot throttle, `has_snapshot`, the snapshot's
own box (a moving object's crop shows the object), in-progress snapshots by event id, and
events ended when a camera's process dies."""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "track"))
from square_scene import COLOURS, FPS, T0, SquareDetector, config, frame_with, to_yuv  # noqa: E402

from roost.api.examples import object_samples  # noqa: E402
from roost.api.live_cache import LiveCache  # noqa: E402
from roost.controls import CameraControls  # noqa: E402
from roost.events.event import BestSnapshot, EventChange  # noqa: E402
from roost.events.frame_results import SNAPSHOT_INTERVAL_S, FrameResultHandler  # noqa: E402
from roost.events.processor import EventProcessor  # noqa: E402
from roost.events.review import ReviewRules, ReviewSegments  # noqa: E402
from roost.events.snapshots import snapshot_files  # noqa: E402
from roost.hub import Hub  # noqa: E402
from roost.store import Database, database_url  # noqa: E402
from roost.store.models import EventRow, ReviewSegmentRow  # noqa: E402
from roost.track.camera import CameraPipeline  # noqa: E402
from roost.train.examples import crop_box, square_object_box  # noqa: E402


@dataclass
class Rig:
    handler: FrameResultHandler
    pipeline: CameraPipeline
    detector: SquareDetector
    database: Database
    controls: CameraControls
    messages: "queue.Queue[Any]"
    live: LiveCache
    clips: Path
    frame: int = 0

    def feed(self, squares: list[tuple[int, int]], score: float | None = None) -> None:
        if score is not None:
            self.detector.score = score
        result = self.pipeline.process(T0 + self.frame / FPS, to_yuv(frame_with(squares)))
        self.handler.handle(result)
        self.frame += 1

    def settle(self) -> None:
        self.handler.writer.flush()
        self.database.writer.submit(lambda s: None).result()
        time.sleep(0.2)  # hub subscribers

    def rows(self) -> dict[str, EventRow]:
        self.settle()
        with self.database.read() as session:
            return {r.id: r for r in session.query(EventRow)}

    def drained(self) -> list[Any]:
        self.settle()
        out = []
        while not self.messages.empty():
            out.append(self.messages.get())
        return out


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    cfg = config()
    database = Database(database_url(None, None, tmp_path))
    database.migrate()
    hub = Hub()
    messages: queue.Queue[Any] = queue.Queue()
    live = LiveCache()
    hub.subscribe("test", messages.put)
    hub.subscribe("live", live.on_message)
    controls = {"yard": CameraControls.from_config("yard", cfg.cameras["yard"])}
    processor = EventProcessor(cfg, database, hub)
    review = ReviewSegments(database, hub, {"yard": ReviewRules.from_config(cfg.cameras["yard"].review)})
    handler = FrameResultHandler(cfg, database, hub, processor, review, controls, tmp_path / "clips")
    detector = SquareDetector()
    rig = Rig(handler, CameraPipeline("yard", cfg.cameras["yard"], detector), detector, database,
              controls["yard"], messages, live, tmp_path / "clips")
    for _ in range(3):
        rig.feed([])
    yield rig
    handler.writer.close()
    hub.close()
    database.close()


def walk(rig: Rig, frames: int, start_x: int = 20, step: int = 15, y: int = 100,
         score: float | None = None) -> None:
    for i in range(frames):
        rig.feed([(start_x + step * i, y)], score)


def colour_share(image: np.ndarray, bgr: tuple[int, int, int]) -> float:
    return float((np.abs(image.astype(np.int16) - bgr).max(axis=2) < 40).mean())


def test_snapshot_is_rendered_at_most_once_a_second_while_the_best_frame_improves(rig: Rig) -> None:
    for i in range(15):  # 3 s at 5 fps, a better score every frame
        rig.feed([(20 + 15 * i, 100)], score=0.80 + 0.01 * i)
        rig.settle()
    improving_s = 14 / FPS
    renders = rig.handler.writer.rendered + rig.handler.writer.superseded
    assert 2 <= renders <= improving_s / SNAPSHOT_INTERVAL_S + 2, renders
    shots = [m for m in rig.drained() if isinstance(m, BestSnapshot)]
    assert len(shots) == rig.handler.writer.rendered


def test_has_snapshot_only_once_the_files_exist_and_not_when_snapshots_are_off(rig: Rig) -> None:
    walk(rig, 3)  # becomes a true positive on the second detection
    changes = [m for m in rig.drained() if isinstance(m, EventChange)]
    assert changes and changes[0].type == "new"
    event_id = changes[0].after.id
    files = snapshot_files(rig.clips, "yard", event_id)
    assert files.jpeg.is_file() and files.clean_webp.is_file()
    assert rig.rows()[event_id].has_snapshot and rig.rows()[event_id].thumbnail
    walk(rig, 2, start_x=65)
    updates = [m for m in rig.drained() if isinstance(m, EventChange) and m.after.has_snapshot]
    assert updates and not updates[0].before.has_snapshot  # published as soon as it is true
    # switched off: snapshots are still published (MQTT), but nothing is stored
    rig.feed([])
    for _ in range(12):
        rig.feed([])  # the first object leaves
    rig.controls.set("snapshots", False)
    rig.drained()
    walk(rig, 5, start_x=300)
    messages = rig.drained()
    second = {m.after.id for m in messages if isinstance(m, EventChange)} - {event_id}
    assert second and any(isinstance(m, BestSnapshot) and m.event_id in second for m in messages)
    for other in second:
        assert not snapshot_files(rig.clips, "yard", other).jpeg.exists()
        assert not rig.rows()[other].has_snapshot
        assert rig.rows()[other].thumbnail  # the row's thumbnail is kept all the same (as in Frigate)
        assert not any(m.after.has_snapshot for m in messages if isinstance(m, EventChange) and m.after.id == other)


def test_snapshot_box_is_the_snapshot_frames_own_and_its_crop_shows_the_moving_object(rig: Rig) -> None:
    walk(rig, 3, score=0.95)  # the best frame: high score early on the left
    walk(rig, 12, start_x=20 + 15 * 3, score=0.75)  # then it walks on with lower scores
    for _ in range(12):
        rig.feed([])  # gone: the event ends
    rows = rig.rows()
    assert len(rows) == 1
    row = next(iter(rows.values()))
    assert row.end_time is not None and row.snapshot is not None
    snap_box, event_box = row.snapshot["box"], row.box
    assert event_box is not None and event_box[0] - snap_box[0] > 100  # the event's box is far from the snapshot's
    # the stored snapshot's box frames the object in the stored picture itself
    clean = cv2.imread(str(snapshot_files(rig.clips, "yard", row.id).clean_webp), cv2.IMREAD_COLOR)
    x1, y1, x2, y2 = snap_box
    assert colour_share(clean[y1:y2, x1:x2], COLOURS[0]) > 0.8
    assert colour_share(clean[event_box[1]:event_box[3], event_box[0]:event_box[2]], COLOURS[0]) < 0.05
    # object classification examples are cut with it: the crop shows the object
    [sample] = object_samples(rig.database, rig.clips, "person")
    assert list(sample.box) == snap_box
    crop = crop_box(cv2.cvtColor(clean, cv2.COLOR_BGR2RGB), square_object_box(sample.box, clean.shape[1], clean.shape[0]))
    assert crop is not None and colour_share(crop[:, :, ::-1], COLOURS[0]) > 0.3
    # and MQTT said the same: `snapshot` carries the stored frame's box and time
    ends = [m for m in rig.drained() if isinstance(m, EventChange) and m.type == "end"]
    mqtt = ends[-1].to_mqtt()["after"]
    assert mqtt["snapshot"]["box"] == snap_box and mqtt["snapshot"]["frame_time"] == row.snapshot["frame_time"]
    assert mqtt["box"] == event_box and mqtt["active"] is False


def test_two_people_on_one_camera_each_get_their_own_in_progress_snapshot(rig: Rig) -> None:
    rig.controls.set("snapshots", False)  # no files: in-progress snapshots come from the live cache
    for i in range(6):
        rig.feed([(20 + 10 * i, 60), (500 - 10 * i, 300)])
    rig.settle()
    events = {}
    for m in rig.drained():
        if isinstance(m, EventChange):
            events[m.after.id] = m.after
    assert len(events) == 2
    for event in events.values():
        jpeg = rig.live.best_of_event(event.id)
        assert jpeg is not None
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        x1, y1, x2, y2 = event.snapshot.box if event.snapshot else event.box
        mine = COLOURS[0] if x1 < 320 else COLOURS[1]
        other = COLOURS[1] if mine == COLOURS[0] else COLOURS[0]
        inside = image[y1 + 4:y2 - 4, x1 + 4:x2 - 4]
        assert colour_share(inside, mine) > 0.8 and colour_share(inside, other) == 0.0


def test_a_dead_camera_process_ends_its_events_and_review_item_where_last_seen(rig: Rig) -> None:
    walk(rig, 6)
    rig.settle()
    last_seen = T0 + (rig.frame - 1) / FPS
    rig.handler.end_camera("yard")  # what the pipeline does when the camera process died
    rows = rig.rows()
    assert rows and all(r.end_time == pytest.approx(last_seen) for r in rows.values())
    with rig.database.read() as session:
        reviews = session.query(ReviewSegmentRow).all()
    assert reviews and all(r.end_time == pytest.approx(last_seen) for r in reviews)
    ends = [m for m in rig.drained() if isinstance(m, EventChange) and m.type == "end"]
    assert {e.after.id for e in ends} == set(rows)
    assert not rig.handler.best and not rig.handler.processor.active
