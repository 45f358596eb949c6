"""`CameraPipeline.process` on a few synthetic frames: motion → regions → detections →
tracker, with a fake detector whose answers are known, and the best frame's pixels sent
exactly as decoded (no lossy round trip)."""

from __future__ import annotations

import numpy as np
from square_scene import FPS, SIDE, T0, SquareDetector, camera, frame_with, to_yuv

from roost.controls import CameraControls
from roost.track.camera import CameraPipeline
from roost.track.frame_result import FrameResult


def run(pipeline: CameraPipeline, positions: list[list[tuple[int, int]]], start: int = 0) -> list[FrameResult]:
    return [pipeline.process(T0 + (start + i) / FPS, to_yuv(frame_with(p))) for i, p in enumerate(positions)]


def test_still_scene_has_no_motion_no_regions_and_no_detector_runs() -> None:
    detector = SquareDetector()
    pipeline = CameraPipeline("yard", camera(), detector)
    results = run(pipeline, [[] for _ in range(6)])
    assert all(r.motion_boxes == () and r.regions == () and r.objects == () for r in results[2:])
    assert detector.calls == 0 and pipeline.detections_run == 0


def test_moving_square_becomes_one_tracked_object_with_its_exact_box() -> None:
    detector = SquareDetector()
    pipeline = CameraPipeline("yard", camera(), detector)
    positions = [[(20 + 15 * i, 100)] for i in range(12)]
    results = run(pipeline, [[] for _ in range(3)] + positions)
    moving = results[3:]
    # motion is found around the square, and every region covers the square
    assert all(r.motion_boxes for r in moving[1:])
    for result, [(x, y)] in zip(moving[1:], positions[1:]):
        assert result.regions, result
        assert any(r.x1 <= x and r.y1 <= y and r.x2 >= x + SIDE and r.y2 >= y + SIDE for r in result.regions)
    last = moving[-1]
    assert len(last.objects) == 1, last.objects  # one object, never a second track for it
    obj = last.objects[0]
    x, y = positions[-1][0]
    assert obj.label == "person"
    assert max(abs(a - b) for a, b in zip(obj.box, (x, y, x + SIDE, y + SIDE))) <= 2, obj.box  # region resize rounding
    assert not obj.false_positive and obj.top_score >= 0.9 - 1e-6
    assert len({o.id for r in moving for o in r.objects}) == 1
    assert detector.calls == pipeline.detections_run >= len(moving) - 1


def test_best_frame_pixels_are_sent_once_and_exactly_as_decoded() -> None:
    detector = SquareDetector()
    pipeline = CameraPipeline("yard", camera(), detector)
    frames = [frame_with([]) for _ in range(3)] + [frame_with([(20 + 15 * i, 100)]) for i in range(10)]
    sent = []
    for index, bgr in enumerate(frames):
        yuv = to_yuv(bgr)
        detector.score = 0.8 + 0.01 * index  # improves every frame: every frame becomes the best
        result = pipeline.process(T0 + index / FPS, yuv)
        for obj in result.objects:
            if obj.best is not None and obj.best.frame_time == result.frame_time:
                pixels = result.pixels_at(result.frame_time)
                assert pixels is not None and np.array_equal(pixels, yuv)  # lossless, the decoded frame
                sent.append(index)
        assert len(result.best_frames) <= 1
        if not any(o.best is not None and o.best.frame_time == result.frame_time for o in result.objects):
            assert result.best_frames == ()  # pixels only for a frame that became someone's best
    assert sent and sent == sorted(set(sent))
    detector.score = 0.5  # worse: the best frame stays, nothing more is sent
    more = run(pipeline, [[(20 + 15 * (10 + i), 100)] for i in range(3)], start=len(frames))
    assert all(r.best_frames == () for r in more)


def test_detect_switched_off_ends_tracked_objects_and_runs_no_detector() -> None:
    detector = SquareDetector()
    controls = CameraControls.from_config("yard", camera())
    pipeline = CameraPipeline("yard", camera(), detector, controls)
    results = run(pipeline, [[] for _ in range(3)] + [[(20 + 15 * i, 100)] for i in range(8)])
    tracked = results[-1].objects
    assert tracked
    controls.set("detect", False)
    calls = detector.calls
    off = run(pipeline, [[(200, 100)], [(215, 100)]], start=11)
    assert [o.id for o in off[0].removed] == [o.id for o in tracked] and off[0].objects == ()
    assert off[1].removed == () and detector.calls == calls


def test_overlapping_regions_do_not_make_a_second_track() -> None:
    detector = SquareDetector()
    small = camera(detect={"width": 320, "height": 240, "fps": FPS})  # regions overlap in this frame
    pipeline = CameraPipeline("yard", small, detector)
    positions = [[] for _ in range(3)] + [[(20 + 15 * i, 100)] for i in range(12)]
    results = [pipeline.process(T0 + i / FPS, to_yuv(frame_with(p)[:240, :320])) for i, p in enumerate(positions)]
    assert max(len(r.objects) for r in results) == 1
