"""Images made from real photographs that ship inside scikit-image, for training tests.

Each class is one photograph; its images are random crops (50–90 % of the side), some
mirrored, with brightness changes, so no two are the same picture and held-out images
(other seeds) are not in the training set. (A uniquely named module rather than
conftest.py, so `import` finds this one whatever other conftest files are loaded.)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import skimage.data

#: class name → scikit-image photograph
PHOTOS = {"cat": "chelsea", "coffee": "coffee", "rocket": "rocket"}


def photo_crops(photo: str, count: int, seed: int) -> list[np.ndarray]:
    """`count` RGB uint8 crops of a scikit-image photograph, reproducible from `seed`."""
    image = getattr(skimage.data, photo)()
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    out = []
    for _ in range(count):
        fraction = rng.uniform(0.5, 0.9)
        ch, cw = int(h * fraction), int(w * fraction)
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = image[y:y + ch, x:x + cw]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crop = np.clip(crop * rng.uniform(0.75, 1.25), 0, 255).astype(np.uint8)
        out.append(np.ascontiguousarray(crop))
    return out


def write_rgb(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
    return path


def build_dataset(clips_dir: Path, model: str, per_class: int, classes: dict[str, str] | None = None,
                  seed: int = 1, suffix: str = ".png") -> dict[str, list[Path]]:
    """Write `clips/<model>/dataset/<class>/<class>_NNN<suffix>` images; returns the files per class."""
    written: dict[str, list[Path]] = {}
    for index, (name, photo) in enumerate((classes or PHOTOS).items()):
        crops = photo_crops(photo, per_class, seed * 100 + index)
        written[name] = [write_rgb(clips_dir / model / "dataset" / name / f"{name}_{i:03d}{suffix}", crop)
                         for i, crop in enumerate(crops)]
    return written
