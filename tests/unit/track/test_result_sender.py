"""A camera process never blocks on a slow consumer: results that find the queue full are
merged into the next (`coalesced`) without losing an object's end or its best frame."""

from __future__ import annotations

import multiprocessing as mp
import queue
import time

import numpy as np

from roost.detect.region import Region
from roost.track.camera_process import ResultSender
from roost.track.frame_result import FramePixels, FrameResult, coalesced
from roost.track.tracked_object import BestFrame, TrackedObject


def obj(object_id: str, frame_time: float, best_time: float | None) -> TrackedObject:
    region = Region(0, 0, 320, 320)
    best = None if best_time is None else BestFrame(best_time, 0.9, (10, 10, 50, 90), 3200, region)
    return TrackedObject(id=object_id, camera="c", label="person", frame_time=frame_time, start_time=0.0,
                         score=0.9, score_history=(0.9,), computed_score=0.9, top_score=0.9, false_positive=False,
                         box=(10, 10, 50, 90), area=3200, ratio=0.5, region=region, velocity=(0, 0, 0, 0),
                         current_zones=(), entered_zones=(), stationary=False, motionless_count=0,
                         position_changes=0, disappeared=0, best=best)


def pixels(t: float) -> FramePixels:
    return FramePixels(t, np.full((6, 4), int(t), np.uint8))


def result(t: float, objects: tuple[TrackedObject, ...] = (), removed: tuple[TrackedObject, ...] = (),
           best: tuple[FramePixels, ...] = ()) -> FrameResult:
    return FrameResult("c", t, (), (), objects, removed, best)


def test_coalesced_keeps_removals_and_the_best_frames_still_pointed_at() -> None:
    older = result(1.0, objects=(obj("a", 1.0, 1.0), obj("b", 1.0, 0.5)), removed=(obj("gone", 1.0, 0.7),),
                   best=(pixels(1.0),))
    newer = result(2.0, objects=(obj("a", 2.0, 1.0), obj("b", 2.0, 2.0)), best=(pixels(2.0),))
    merged = coalesced(older, newer)
    assert merged.frame_time == 2.0 and merged.objects == newer.objects
    assert [o.id for o in merged.removed] == ["gone"]
    assert [p.frame_time for p in merged.best_frames] == [1.0, 2.0]  # a still points at frame 1
    later = coalesced(merged, result(3.0, objects=(obj("a", 3.0, 3.0), obj("b", 3.0, 2.0)), best=(pixels(3.0),)))
    assert [p.frame_time for p in later.best_frames] == [2.0, 3.0]  # nobody points at frame 1 any more
    assert [o.id for o in later.removed] == ["gone"]


def test_sender_never_blocks_and_delivers_everything_that_matters() -> None:
    results: mp.Queue[FrameResult] = mp.get_context("spawn").Queue(maxsize=1)
    sender = ResultSender(results)
    assert sender.send(result(1.0, objects=(obj("a", 1.0, 1.0),), best=(pixels(1.0),)))
    started = time.monotonic()
    assert not sender.send(result(2.0, objects=(obj("a", 2.0, 1.0), obj("b", 2.0, 2.0)), best=(pixels(2.0),)))
    assert not sender.send(result(3.0, objects=(obj("b", 3.0, 2.0),), removed=(obj("a", 3.0, 1.0),)))
    assert time.monotonic() - started < 0.5  # the queue is full, and the camera went on
    first = results.get(timeout=5)
    assert first.frame_time == 1.0
    sender.retry()
    merged = results.get(timeout=5)
    assert merged.frame_time == 3.0 and [o.id for o in merged.removed] == ["a"]
    assert [p.frame_time for p in merged.best_frames] == [2.0]  # b's best (a's went with the first)
    assert sender.pending is None and sender.flush()
    try:
        results.get_nowait()
        raise AssertionError("nothing else was sent")
    except queue.Empty:
        pass
