"""`latest.jpg` and the debug stream draw what the pipeline saw on the frame it saw it in:
boxes drawn on a newer frame trail every moving object."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from roost.capture.frame_ring import FrameRing
from roost.children.leftovers import segment_name
from roost.config import validate_raw
from roost.pipeline import CameraProcesses, Pipeline

HEIGHT, WIDTH = 16, 16


def _write(ring: FrameRing, value: int, frame_time: float) -> None:
    slot, target = ring.begin_write()
    target[:] = bytes([value]) * len(target)
    ring.end_write(slot, frame_time)


def _bgr(value: int) -> list[int]:
    yuv = np.full((HEIGHT * 3 // 2, WIDTH), value, np.uint8)
    return [int(v) for v in cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)[0, 0]]


@pytest.fixture
def ring() -> Iterator[FrameRing]:
    ring = FrameRing.create(segment_name("test", "frames"), HEIGHT * 3 // 2, WIDTH, 4)
    try:
        yield ring
    finally:
        ring.close()
        ring.unlink()


def test_slot_at_finds_a_held_frame_by_its_time(ring: FrameRing) -> None:
    for n in range(6):  # 4 slots: the frames of 100 and 101 are overwritten
        _write(ring, 10 * n, 100.0 + n)
    found = ring.slot_at(103.0)
    assert found is not None and ring.read(*found) is not None and int(ring.read(*found)[0, 0]) == 30
    assert ring.slot_at(101.0) is None and ring.slot_at(99.5) is None


def test_latest_frame_is_the_processed_frame_with_its_boxes(ring: FrameRing) -> None:
    config = validate_raw({"cameras": {"front": {"ffmpeg": {"inputs": [{"path": "rtsp://x/1", "roles": ["detect"]}]},
                                                 "detect": {"width": WIDTH, "height": HEIGHT}}}}).config
    handler = SimpleNamespace(latest={})
    pipeline = Pipeline(config, {}, {}, handler, Path("."))  # type: ignore[arg-type]
    pipeline.cameras["front"] = CameraProcesses("front", ring, None, None, None, None)  # type: ignore[arg-type]
    for n in range(4):
        _write(ring, 40 + 40 * n, 100.0 + n)  # the capture is a frame ahead of the camera process
    before_any = pipeline.latest_frame("front")
    assert before_any is not None and before_any.image[0, 0].tolist() == _bgr(160)  # no result yet: the newest

    handler.latest["front"] = SimpleNamespace(frame_time=102.0, motion_boxes=[], regions=[], objects=[])
    frame = pipeline.latest_frame("front")
    assert frame is not None and frame.frame_time == 102.0
    assert frame.image[0, 0].tolist() == _bgr(120)  # the frame of 102, not the newest (103)

    handler.latest["front"] = SimpleNamespace(frame_time=90.0, motion_boxes=[], regions=[], objects=[])
    stale = pipeline.latest_frame("front")  # its frame is gone from the ring: the newest
    assert stale is not None and stale.image[0, 0].tolist() == _bgr(160)
