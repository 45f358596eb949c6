"""A generated camera: real photographs of a person (scikit-image's astronaut) and a cat
(chelsea) moving across a static background, encoded to H.264 with ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from skimage import data

from roost.ffmpeg import ffmpeg_binary

WIDTH, HEIGHT, FPS = 640, 480, 5
SECONDS = 18


def sprites() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """(person, cat) as BGR images: the astronaut's upper body, chelsea's face and body."""
    astronaut = cv2.cvtColor(np.asarray(data.astronaut()), cv2.COLOR_RGB2BGR)[0:512, 60:400]
    cat = cv2.cvtColor(np.asarray(data.chelsea()), cv2.COLOR_RGB2BGR)
    return (np.asarray(cv2.resize(astronaut, (170, 256)), np.uint8),
            np.asarray(cv2.resize(cat, (210, 140)), np.uint8))


def background() -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(7)
    base = np.full((HEIGHT, WIDTH, 3), (90, 120, 110), np.uint8)
    noise = rng.integers(0, 12, (HEIGHT // 8, WIDTH // 8, 3), dtype=np.uint8)
    return np.asarray(cv2.add(base, cv2.resize(noise, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)), np.uint8)


def frame_at(index: int) -> npt.NDArray[np.uint8]:
    """Person walks left→right during seconds 1–9, the cat right→left during 2–10; then the
    scene is empty, so both objects leave and their events end. Slow enough that each is
    seen in each zone for many frames even when a busy machine makes the pipeline skip some."""
    person, cat = sprites()
    frame = background().copy()
    t = index / FPS
    if 1.0 <= t <= 9.0:
        x = int(-40 + (t - 1.0) / 8.0 * (WIDTH - 100))
        _paste(frame, person, x, 40)
    if 2.0 <= t <= 10.0:
        x = int(WIDTH - 180 - (t - 2.0) / 8.0 * (WIDTH - 200))
        _paste(frame, cat, x, 320)
    return frame


def _paste(frame: npt.NDArray[np.uint8], sprite: npt.NDArray[np.uint8], x: int, y: int) -> None:
    h, w = sprite.shape[:2]
    x0, x1 = max(x, 0), min(x + w, frame.shape[1])
    if x1 > x0:
        frame[y:y + h, x0:x1] = sprite[:, x0 - x:x1 - x]


def write_scene(path: Path, lead_in_s: int = 0) -> Path:
    """The scene, after `lead_in_s` seconds of the empty background."""
    process = subprocess.Popen(
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{WIDTH}x{HEIGHT}",
         "-r", str(FPS), "-i", "pipe:", "-c:v", "libx264", "-preset", "veryfast", "-g", str(FPS),
         "-pix_fmt", "yuv420p", str(path)], stdin=subprocess.PIPE)
    assert process.stdin is not None
    empty = background()
    for index in range(lead_in_s * FPS):
        process.stdin.write(empty.tobytes())
    for index in range(SECONDS * FPS):
        process.stdin.write(frame_at(index).tobytes())
    process.stdin.close()
    assert process.wait(60) == 0
    return path
