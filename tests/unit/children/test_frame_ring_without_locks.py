"""The frame ring survives its writer's death: a slot left half-written is never read, and
a new writer numbers on from the newest complete frame, so readers see its frames as new."""

from __future__ import annotations

import numpy as np

from roost.capture.frame_ring import WRITING, FrameRing
from roost.children.leftovers import segment_name
from roost.track.camera_process import FRAME_BACKLOG, _next_frame


def _write(ring: FrameRing, value: int, frame_time: float) -> int:
    slot, target = ring.begin_write()
    target[:] = bytes([value]) * len(target)
    return ring.end_write(slot, frame_time)


def test_a_successor_writer_numbers_on_and_a_torn_slot_is_skipped() -> None:
    ring = FrameRing.create(segment_name("test", "frames"), 4, 4, 5)
    try:
        first = FrameRing.attach(ring.name, 4, 4, 5)
        for n in range(7):
            _write(first, n, 100.0 + n)
        torn, _ = first.begin_write()  # the writer is killed mid-frame
        assert ring.sequence[torn] == WRITING
        newest = ring.newest("c")
        assert newest is not None and newest.sequence == 7 and newest.frame_time == 106.0
        assert ring.read(torn) is None
        second = FrameRing.attach(ring.name, 4, 4, 5)  # the restarted capture
        assert _write(second, 42, 200.0) == 8
        newest = ring.newest("c")
        assert newest is not None and newest.sequence == 8 and newest.slot == torn
        pixels = ring.read(newest.slot, newest.sequence)
        assert pixels is not None and np.all(pixels == 42)
        assert ring.read(newest.slot, 7) is None  # not that frame any more
        first.close()
        second.close()
    finally:
        ring.close()
        ring.unlink()


def test_frames_are_taken_in_order_at_most_the_backlog_behind() -> None:
    ring = FrameRing.create(segment_name("test2", "frames"), 4, 4, 12)
    try:
        assert _next_frame(ring, "c", 0) is None
        for n in range(10):
            _write(ring, n, float(n))
        frame = _next_frame(ring, "c", 0)
        assert frame is not None and frame.sequence == 10 - FRAME_BACKLOG + 1  # fell behind: older ones skipped
        frame = _next_frame(ring, "c", 8)
        assert frame is not None and frame.sequence == 9 and frame.frame_time == 8.0
        assert _next_frame(ring, "c", 10) is None
    finally:
        ring.close()
        ring.unlink()
