"""A synthetic camera for driving `CameraPipeline` directly: a grey, lightly textured
background with solid squares moving across it, as yuv420p frames, and a fake detector
that "detects" those squares by their colour in the region it is given (so boxes, regions
and scores are known exactly)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from roost.config import validate_raw
from roost.config.camera import CameraConfig
from roost.config.root import RoostConfig

WIDTH, HEIGHT, FPS = 640, 480, 5
T0 = 1_700_000_000.0
SIDE = 40
#: BGR colours of the squares; the detector reports each as a person.
COLOURS = ((40, 40, 220), (220, 60, 40))


def config(**extra: object) -> RoostConfig:
    """A config with the one camera `yard` (MQTT off); `extra` adds/overrides camera keys."""
    raw = {"mqtt": {"enabled": False}, "objects": {"track": ["person"]}, "snapshots": {"enabled": True},
           "cameras": {"yard": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
                                "detect": {"width": WIDTH, "height": HEIGHT, "fps": FPS}, **extra}}}
    return validate_raw(raw).config


def camera(**extra: object) -> CameraConfig:
    return config(**extra).cameras["yard"]


def background() -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 10, (HEIGHT // 8, WIDTH // 8, 1), dtype=np.uint8)
    grey = 110 + cv2.resize(noise, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)
    return np.asarray(np.repeat(grey[:, :, None], 3, axis=2), np.uint8)


def frame_with(squares: Sequence[tuple[int, int]]) -> npt.NDArray[np.uint8]:
    """BGR frame with square i (top-left corner `squares[i]`) in COLOURS[i]."""
    image = background().copy()
    for (x, y), colour in zip(squares, COLOURS):
        image[y:y + SIDE, x:x + SIDE] = colour
    return image


def to_yuv(bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), np.uint8)


@dataclass
class SquareDetector:
    """`RegionDetector` finding the COLOURS squares in a region (RGB input). `score` is
    what the next detections get (tests change it between frames)."""

    model_size: int = 320
    labels: Sequence[str] = ("person",)
    score: float = 0.9
    calls: int = 0

    def detect(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        self.calls += 1
        found = []
        for b, g, r in COLOURS:
            mask = (np.abs(rgb.astype(np.int16) - (r, g, b)).max(axis=2) < 40)
            ys, xs = np.nonzero(mask)
            if len(xs) < 20:
                continue
            size = rgb.shape[0]
            found.append([0, self.score, xs.min() / size, ys.min() / size, (xs.max() + 1) / size,
                          (ys.max() + 1) / size])
        return np.array(found, np.float32).reshape(-1, 6)

    def detect_batch(self, rgbs: Sequence[npt.NDArray[np.uint8]]) -> list[npt.NDArray[np.float32]]:
        return [self.detect(rgb) for rgb in rgbs]
