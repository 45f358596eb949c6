"""`clips/<model>/.training_metadata.json` and the dataset route's `training_metadata` block.

Frigate keeps `last_training_date` and `last_training_image_count` beside the dataset; the
UI compares the count with the dataset's current count to show its "retrain" hint.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from roost.train.dataset import DATASET_DIR, IMAGE_SUFFIXES, model_clips_dir
from roost.train.fuse import write_atomically

logger = logging.getLogger(__name__)

TRAINING_METADATA_FILE = ".training_metadata.json"


def training_metadata_path(clips_dir: Path, model: str) -> Path:
    return model_clips_dir(clips_dir, model) / TRAINING_METADATA_FILE


def write_training_metadata(clips_dir: Path, model: str, when: datetime, image_count: int) -> None:
    """Record a finished training run (ISO-8601 date with timezone, images used) and a
    fingerprint of the dataset's files, so a delete-one-add-one change still counts."""
    data = {"last_training_date": when.isoformat(), "last_training_image_count": image_count,
            "dataset_fingerprint": dataset_fingerprint(clips_dir, model)}
    write_atomically(training_metadata_path(clips_dir, model), json.dumps(data, indent=2).encode())


def read_training_metadata(clips_dir: Path, model: str) -> dict[str, Any] | None:
    path = training_metadata_path(clips_dir, model)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.warning("ignoring unreadable %s: %s", path, error)
        return None
    return data if isinstance(data, dict) else None


def dataset_files(clips_dir: Path, model: str) -> list[Path]:
    """Image files under `clips/<model>/dataset/*/` (by suffix; no decoding, so it is cheap)."""
    root = model_clips_dir(clips_dir, model) / DATASET_DIR
    if not root.is_dir():
        return []
    return sorted(path for path in root.glob("*/*")
                  if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES)


def count_dataset_images(clips_dir: Path, model: str) -> int:
    return len(dataset_files(clips_dir, model))


def dataset_fingerprint(clips_dir: Path, model: str) -> str:
    """Hash of every dataset file's class/name and size: changes when images are added,
    removed, moved to another class or replaced."""
    digest = hashlib.sha256()
    for path in dataset_files(clips_dir, model):
        digest.update(f"{path.parent.name}/{path.name}:{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:32]


def dataset_training_metadata(clips_dir: Path, model: str) -> dict[str, Any]:
    """The `training_metadata` object of `GET /api/classification/<model>/dataset` (CONTRACT.md):
    `has_trained, last_training_date, last_training_image_count, current_image_count,
    new_images_count, dataset_changed`."""
    current = count_dataset_images(clips_dir, model)
    recorded = read_training_metadata(clips_dir, model)
    if recorded is None:
        return {"has_trained": False, "last_training_date": None, "last_training_image_count": 0,
                "current_image_count": current, "new_images_count": current, "dataset_changed": current > 0}
    last_count = int(recorded.get("last_training_image_count", 0))
    fingerprint = recorded.get("dataset_fingerprint")
    changed = (fingerprint != dataset_fingerprint(clips_dir, model)) if fingerprint else current != last_count
    return {
        "has_trained": True,
        "last_training_date": recorded.get("last_training_date"),
        "last_training_image_count": last_count,
        "current_image_count": current,
        "new_images_count": max(0, current - last_count),
        "dataset_changed": changed,
    }
