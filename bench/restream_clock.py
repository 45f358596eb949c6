"""A live "camera" for bench/restream.py: frames stamped with the wall clock as they are
made (a 48-bit millisecond barcode across the top, plus readable text), written as raw
video to stdout at a fixed rate for ffmpeg to encode live.

Barcode layout, in frame pixels: bits 47..0 left to right, BIT_W x BAR_H each, white = 1,
starting at (0, 0); `read_stamp` decodes it from a screenshot of the same size.
"""

from __future__ import annotations

import sys
import time

import cv2
import numpy as np
import numpy.typing as npt

WIDTH, HEIGHT, FPS = 960, 540, 25
BITS = 48
BIT_W = WIDTH // BITS
BAR_H = 60


def stamped_frame(ms: int) -> npt.NDArray[np.uint8]:
    frame = np.full((HEIGHT, WIDTH, 3), 60, np.uint8)
    for bit in range(BITS):
        if (ms >> (BITS - 1 - bit)) & 1:
            frame[:BAR_H, bit * BIT_W:(bit + 1) * BIT_W] = 255
        else:
            frame[:BAR_H, bit * BIT_W:(bit + 1) * BIT_W] = 0
    cv2.putText(frame, f"{ms % 100000:05d} ms", (40, HEIGHT // 2 + 40), cv2.FONT_HERSHEY_SIMPLEX, 3.0,
                (255, 255, 255), 6)
    return frame


def read_stamp(rgb: npt.NDArray[np.uint8]) -> int:
    """The millisecond stamp of a screenshot (H x W x 3) showing the frame at any size."""
    height, width = rgb.shape[:2]
    row = int(BAR_H / HEIGHT * height / 2)
    value = 0
    for bit in range(BITS):
        x = int((bit + 0.5) * BIT_W / WIDTH * width)
        value = (value << 1) | int(rgb[row, x].mean() > 128)
    return value


def main() -> None:
    out = sys.stdout.buffer
    period = 1.0 / FPS
    next_at = time.monotonic()
    while True:
        out.write(stamped_frame(int(time.time() * 1000)).tobytes())
        out.flush()
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):
        pass
