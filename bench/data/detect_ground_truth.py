"""The detection ground truth: hand-checked boxes in `bench/data/detect_ground_truth.json`,
and the images they belong to, regenerated from the packages that ship them (no image is
committed).

Each image entry names its source:

- `{"kind": "video", "package": "opencv-doc", "path": ".../vtest.avi", "frame": N}`: the
  N-th frame (0-based) ffmpeg decodes from the file;
- `{"kind": "file", "package": "darknet", "path": "/usr/share/darknet/data/person.jpg"}`;
- `{"kind": "skimage", "package": "scikit-image", "name": "astronaut"}`: `skimage.data.<name>()`.

Boxes are `x1, y1, x2, y2` in the image's pixels (x2/y2 exclusive), every person (and
car) in the image boxed over its full visible extent, head to feet.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

GROUND_TRUTH = Path(__file__).resolve().parent / "detect_ground_truth.json"
RGB = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class GroundTruthImage:
    id: str
    source: dict[str, Any]
    width: int
    height: int
    boxes: tuple[tuple[str, tuple[float, float, float, float]], ...]  # (label, box)

    @property
    def video_frame(self) -> int | None:
        return int(self.source["frame"]) if self.source["kind"] == "video" else None


def load_ground_truth(path: Path = GROUND_TRUTH) -> list[GroundTruthImage]:
    document = json.loads(path.read_text())
    return [GroundTruthImage(item["id"], item["source"], item["width"], item["height"],
                             tuple((b["label"], tuple(float(v) for v in b["box"])) for b in item["boxes"]))  # type: ignore[misc]
            for item in document["images"]]


def video_frames(path: str, indices: Iterable[int], width: int, height: int) -> Iterator[tuple[int, RGB]]:
    """`(index, rgb)` for each wanted frame index, decoding the video once, in order."""
    wanted = sorted(set(indices))
    if not wanted:
        return
    process = subprocess.Popen(["ffmpeg", "-v", "error", "-i", path, "-frames:v", str(wanted[-1] + 1),
                                "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:"], stdout=subprocess.PIPE)
    assert process.stdout is not None
    size = width * height * 3
    want = set(wanted)
    try:
        for index in range(wanted[-1] + 1):
            raw = process.stdout.read(size)
            if len(raw) < size:
                raise RuntimeError(f"{path}: only {index} frames, ground truth wants frame {wanted[-1]}")
            if index in want:
                yield index, np.frombuffer(raw, np.uint8).reshape(height, width, 3).copy()
    finally:
        process.stdout.close()
        process.wait()


def still_image(source: dict[str, Any]) -> RGB:
    """A photograph named by a `file` or `skimage` source, as RGB."""
    if source["kind"] == "file":
        bgr = cv2.imread(source["path"])
        if bgr is None:
            raise FileNotFoundError(f"{source['path']} (Debian package {source['package']}) is missing")
        return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), np.uint8)
    if source["kind"] == "skimage":
        from skimage import data

        image = np.asarray(getattr(data, source["name"])(), np.uint8)
        return np.ascontiguousarray(np.stack([image] * 3, axis=2) if image.ndim == 2 else image[..., :3])
    raise ValueError(f"unknown image source kind {source['kind']!r}")


def images(truth: list[GroundTruthImage]) -> dict[str, RGB]:
    """Every ground-truth image regenerated, by id."""
    result: dict[str, RGB] = {}
    by_video: dict[str, list[GroundTruthImage]] = {}
    for item in truth:
        if item.source["kind"] == "video":
            by_video.setdefault(item.source["path"], []).append(item)
        else:
            result[item.id] = still_image(item.source)
    for path, items in by_video.items():
        frames = dict(video_frames(path, [i.video_frame or 0 for i in items], items[0].width, items[0].height))
        for item in items:
            result[item.id] = frames[item.video_frame or 0]
    for item in truth:
        if result[item.id].shape[:2] != (item.height, item.width):
            raise ValueError(f"{item.id}: image is {result[item.id].shape[1]}x{result[item.id].shape[0]}, "
                             f"ground truth was drawn on {item.width}x{item.height}")
    return result
