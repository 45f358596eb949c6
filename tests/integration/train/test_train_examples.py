"""Example collection on a generated recording with known scene changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from roost.classify.model_files import read_rgb
from roost.ffmpeg import ffmpeg_binary
from roost.train.embed import Backbone
from roost.train.examples import FrameSample, collect_state_examples, extract_frame

SIZE = (320, 240)
FPS = 10
SCENE_SECONDS = 2
SCENES = ("chelsea", "coffee", "rocket")
CROP = (40, 30, 280, 210)


def scene_frame(photo: str, jitter: int) -> np.ndarray:
    """The scene's photo, shifted by a few pixels per frame so consecutive frames differ."""
    image = cv2.resize(getattr(skimage.data, photo)(), (SIZE[0] + 16, SIZE[1] + 16), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image[jitter:jitter + SIZE[1], jitter:jitter + SIZE[0]])


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 s H.264/MPEG-4 file: 2 s of each photo, in SCENES order."""
    path = tmp_path_factory.mktemp("rec") / "scenes.mp4"
    frames = b"".join(scene_frame(photo, i % 8).tobytes()
                      for photo in SCENES for i in range(FPS * SCENE_SECONDS))
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{SIZE[0]}x{SIZE[1]}", "-r", str(FPS), "-i", "-", "-c:v", "mpeg4", "-q:v", "3",
                    "-g", str(FPS), "-pix_fmt", "yuv420p", str(path)], input=frames, check=True, timeout=60)
    return path


def scene_of(image: np.ndarray) -> int:
    x1, y1, x2, y2 = CROP
    errors = [np.abs(scene_frame(p, 4)[y1:y2, x1:x2].astype(int) - image.astype(int)).mean() for p in SCENES]
    return int(np.argmin(errors))


def test_frames_are_extracted_at_the_requested_time(recording: Path) -> None:
    for second, scene in ((0.5, 0), (3.2, 1), (5.5, 2)):
        frame = extract_frame(recording, second)
        assert frame is not None and frame.shape == (SIZE[1], SIZE[0], 3)
        assert scene_of(frame[CROP[1]:CROP[3], CROP[0]:CROP[2]]) == scene
    assert extract_frame(recording.with_name("missing.mp4"), 1.0) is None


@pytest.mark.parametrize("use_backbone", [True, False], ids=["embeddings", "hsv-histograms"])
def test_collection_returns_an_image_from_every_scene(recording: Path, tmp_path: Path, backbone: Backbone,
                                                      use_backbone: bool) -> None:
    samples = [FrameSample("cam", recording, t / 4 + 0.1, CROP) for t in range(24)]
    progress: list[tuple[int, int]] = []
    written = collect_state_examples(samples, tmp_path / "clips", "door", backbone if use_backbone else None,
                                     count=3, progress=lambda d, t: progress.append((d, t)))
    assert [p.name for p in written] == ["example_000.jpg", "example_001.jpg", "example_002.jpg"]
    assert all(p.parent == tmp_path / "clips" / "door" / "train" for p in written)
    images = [read_rgb(p) for p in written]
    assert all(i is not None and i.shape == (CROP[3] - CROP[1], CROP[2] - CROP[0], 3) for i in images)
    assert sorted(scene_of(i) for i in images if i is not None) == [0, 1, 2]
    assert progress[-1] == (24, 24)
