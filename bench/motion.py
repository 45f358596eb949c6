"""Motion detector cost per frame against a naive full-frame baseline, on real footage.

    .venv/bin/python bench/motion.py [--frames 300] [--rounds 5] [--video PATH]

Decodes Debian opencv-doc's vtest.avi (768x576) to raw yuv420p once, into memory, then
times the default-config `roost.motion` detector and the naive baseline (full-resolution
absdiff of consecutive Y planes + threshold + contours) on the same frames, each frame given
to both back to back (so each runs with the caches the other left, as in a pipeline where
other work runs between motion calls); costs are this thread's CPU time, so other
processes' load does not count; figures are medians over rounds. OpenCV is held to one
thread, as one camera process would use one core. Last line: JSON.

The C heap is held in a steady state first (`steady_heap`): without it, the naive
baseline's cost depended on what else the process had imported (1.0 ms per frame in a
bare interpreter, 0.55 ms after importing Roost's server modules), because its full-frame
buffers were either served from the heap or mapped fresh and page-faulted on every frame
as glibc trimmed the heap. Both detectors are measured on the same steady heap, so the
figures are the work they do, not the allocator's mood.

`measure_motion_cost` is importable (bench/pipeline.py folds it in).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from roost.config.motion_detect import MotionConfig  # noqa: E402
from roost.motion import default_detector  # noqa: E402

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
Frames = npt.NDArray[np.uint8]  # (N, height * 3 // 2, width) yuv420p


def decode_yuv_frames(video: Path, width: int, height: int, max_frames: int) -> Frames:
    """The first `max_frames` frames of `video` as yuv420p at `width x height`, via ffmpeg."""
    command = ["ffmpeg", "-v", "error", "-i", str(video), "-frames:v", str(max_frames),
               "-s", f"{width}x{height}", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height * 3 // 2, width)


class NaiveMotion:
    """The baseline: full-resolution absdiff of consecutive Y planes, threshold, contours."""

    def __init__(self, height: int, config: MotionConfig) -> None:
        self.height = height
        self.config = config
        self.previous: Frames | None = None

    def detect(self, frame: Frames) -> list[tuple[int, int, int, int]]:
        luma = frame[:self.height]
        previous, self.previous = self.previous, luma
        if previous is None:
            return []
        delta = cv2.absdiff(luma, previous)
        changed = cv2.threshold(delta, self.config.threshold, 255, cv2.THRESH_BINARY)[1]
        contours, _ = cv2.findContours(changed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        boxes = []
        for contour in contours:
            if cv2.contourArea(contour) > self.config.contour_area:
                x, y, w, h = cv2.boundingRect(contour)
                boxes.append((x, y, x + w, y + h))
        return boxes


def _interleaved_pass(frames: Frames, height: int, width: int) -> tuple[float, float, int, int]:
    """One pass over `frames` with a fresh detector and baseline, each frame given to both
    back to back so that both see the same machine load. Returns ms per frame of each and
    how many frames each found motion in."""
    detector = default_detector((height, width, 3))
    naive = NaiveMotion(height, MotionConfig())
    clock = time.thread_time  # CPU time of this thread: other processes' load does not count
    motion_s = naive_s = 0.0
    motion_frames = naive_frames = 0
    for frame in frames:
        start = clock()
        found = detector.detect(frame)
        middle = clock()
        found_naive = naive.detect(frame)
        end = clock()
        motion_s += middle - start
        naive_s += end - middle
        motion_frames += bool(found)
        naive_frames += bool(found_naive)
    per_frame = 1000.0 / len(frames)
    return motion_s * per_frame, naive_s * per_frame, motion_frames, naive_frames


def steady_heap() -> bool:
    """Keep freed C-heap memory in the process (glibc: no mmap for large blocks, no trim)
    so that per-frame buffers are reused rather than mapped and faulted in again. Returns
    whether it could (False off glibc, where the figures may vary with the allocator)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 256 << 20))


def measure_motion_cost(frames: Frames, rounds: int = 5,
                        report: Callable[[str], None] = print) -> dict[str, float]:
    """Cost per frame of the default motion detector and of the naive baseline on `frames`
    (`(N, height * 3 // 2, width)` yuv420p), interleaved frame by frame, over `rounds`
    passes. Costs are medians over passes; the ratio is the median of the per-pass ratios."""
    if not steady_heap():
        report("could not hold the C heap steady (not glibc): figures may vary between runs")
    height = frames.shape[1] * 2 // 3
    width = frames.shape[2]
    motion_ms: list[float] = []
    naive_ms: list[float] = []
    ratios: list[float] = []
    for round_index in range(rounds):
        motion, naive, motion_frames, naive_frames = _interleaved_pass(frames, height, width)
        motion_ms.append(motion)
        naive_ms.append(naive)
        ratios.append(motion / naive)
        report(f"round {round_index + 1}/{rounds}: motion {motion:.3f} ms/frame ({motion_frames} frames "
               f"with motion), naive {naive:.3f} ms/frame ({naive_frames}), ratio {motion / naive:.3f}")
    return {
        "motion_ms_per_frame": round(statistics.median(motion_ms), 4),
        "naive_ms_per_frame": round(statistics.median(naive_ms), 4),
        "motion_cost_ratio_vs_naive": round(statistics.median(ratios), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=VTEST)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=576)
    parser.add_argument("--frames", type=int, default=300, help="frames decoded into memory")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    frames = decode_yuv_frames(args.video, args.width, args.height, args.frames)
    print(f"decoded {len(frames)} frames of {args.video.name} at {args.width}x{args.height} (yuv420p)")
    result = measure_motion_cost(frames, args.rounds)
    print(f"motion {result['motion_ms_per_frame']} ms/frame, naive {result['naive_ms_per_frame']} "
          f"ms/frame, ratio {result['motion_cost_ratio_vs_naive']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
