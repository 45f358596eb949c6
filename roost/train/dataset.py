"""The labelled dataset of one classifier: `clips/<model>/dataset/<class>/*.png|jpg|jpeg|webp`.

Scanning only lists files (cheap, so a warm retrain stays fast); whether a file really is
an image is found out when it is decoded for embedding, and unreadable ones are skipped
with a warning there. `check_class_counts` then turns "too little data" into an error
that names the class.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from roost.classify.model_files import NONE_CLASS, InvalidNameError, validate_class_name, validate_model_name
from roost.paths import media_dir

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
#: Fewest images a class needs: with fewer, no image of it can be held out for metrics.
MIN_IMAGES_PER_CLASS = 2
MIN_CLASSES = 2
DATASET_DIR = "dataset"
TRAIN_DIR = "train"


class DatasetError(ValueError):
    """The dataset cannot be trained on; the message names the folder or class and the fix."""


def clips_dir_for(media: Path | None = None) -> Path:
    return (media if media is not None else media_dir()) / "clips"


def model_clips_dir(clips_dir: Path, model: str) -> Path:
    """`clips/<model>/`: dataset, recent attempts, feature cache, training metadata."""
    return clips_dir / validate_model_name(model)


@dataclass(frozen=True)
class Dataset:
    """Image files per class, classes sorted by name (the labelmap order)."""

    model: str
    root: Path
    images: dict[str, list[Path]]

    @property
    def classes(self) -> list[str]:
        return sorted(self.images)

    @property
    def image_count(self) -> int:
        return sum(len(files) for files in self.images.values())

    def counts(self) -> dict[str, int]:
        return {name: len(self.images[name]) for name in self.classes}

    def labelled_files(self) -> tuple[list[Path], list[int]]:
        """All files and their class index (position in `classes`)."""
        paths: list[Path] = []
        labels: list[int] = []
        for index, name in enumerate(self.classes):
            paths.extend(self.images[name])
            labels.extend([index] * len(self.images[name]))
        return paths, labels


def scan_dataset(clips_dir: Path, model: str, object_model: bool = False) -> Dataset:
    """List `clips/<model>/dataset/<class>/` image files, sorted by name.

    Hidden files and files without an image suffix are skipped with a warning; a class
    folder whose name is not a valid class name is an error. Object models always have a
    `none` class (Frigate's rule): it is included even when its folder is missing, so the
    count check asks the user to label some "none" images.
    """
    root = model_clips_dir(clips_dir, model) / DATASET_DIR
    if not root.is_dir():
        raise DatasetError(f"model {model!r} has no dataset folder {root}; label some images first")
    images: dict[str, list[Path]] = {}
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            validate_class_name(folder.name)
        except InvalidNameError as error:
            raise DatasetError(f"{folder}: {error}") from error
        files = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
                logger.warning("skipping %s: not an image file (expected %s)", path, ", ".join(sorted(IMAGE_SUFFIXES)))
                continue
            files.append(path)
        images[folder.name] = files
    if object_model:
        images.setdefault(NONE_CLASS, [])
    return Dataset(model, root, images)


def check_class_counts(model: str, counts: dict[str, int], minimum: int = MIN_IMAGES_PER_CLASS) -> None:
    """Raise DatasetError unless there are ≥ 2 classes with ≥ `minimum` usable images each."""
    if len(counts) < MIN_CLASSES:
        have = ", ".join(f"'{c}'" for c in counts) or "none"
        raise DatasetError(f"model {model!r}: training needs at least {MIN_CLASSES} classes, found {len(counts)} "
                           f"({have}); add a folder per class under dataset/")
    short = {name: n for name, n in counts.items() if n < minimum}
    if short:
        detail = ", ".join(f"'{name}' has {n}" for name, n in sorted(short.items()))
        hint = f" (label some images as '{NONE_CLASS}': objects that are none of your classes)" \
            if NONE_CLASS in short else ""
        raise DatasetError(f"model {model!r}: every class needs at least {minimum} usable images; {detail}{hint}")
