"""Dataset scanning errors and the training-metadata block of the dataset route."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest

from roost.classify.model_files import InvalidNameError
from roost.train.dataset import DatasetError, check_class_counts, scan_dataset
from roost.train.examples import file_examples
from roost.train.status import dataset_training_metadata, read_training_metadata, write_training_metadata


def image(path: Path, value: int = 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((16, 16, 3), value, np.uint8))
    return path


def test_scan_lists_classes_sorted_and_skips_non_image_files_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "door" / "dataset"
    image(root / "open" / "a.png")
    image(root / "closed" / "b.jpg")
    (root / "closed" / "notes.txt").write_text("not an image")
    (root / "closed" / ".hidden.png").write_text("")
    with caplog.at_level(logging.WARNING):
        dataset = scan_dataset(tmp_path, "door")
    assert dataset.classes == ["closed", "open"]
    assert [p.name for p in dataset.images["closed"]] == ["b.jpg"]
    assert "notes.txt" in caplog.text


def test_object_models_always_get_a_none_class(tmp_path: Path) -> None:
    image(tmp_path / "dog" / "dataset" / "buddy" / "a.png")
    dataset = scan_dataset(tmp_path, "dog", object_model=True)
    assert dataset.classes == ["buddy", "none"]
    with pytest.raises(DatasetError, match="'none' has 0.*label some images as 'none'"):
        check_class_counts("dog", dataset.counts())


def test_one_class_only_is_an_error_naming_the_class(tmp_path: Path) -> None:
    image(tmp_path / "door" / "dataset" / "open" / "a.png")
    with pytest.raises(DatasetError, match=r"at least 2 classes, found 1 \('open'\)"):
        check_class_counts("door", scan_dataset(tmp_path, "door").counts())


def test_empty_class_is_an_error_naming_the_class(tmp_path: Path) -> None:
    for i in range(3):
        image(tmp_path / "door" / "dataset" / "open" / f"{i}.png")
    (tmp_path / "door" / "dataset" / "closed").mkdir()
    with pytest.raises(DatasetError, match="'closed' has 0"):
        check_class_counts("door", scan_dataset(tmp_path, "door").counts())


def test_missing_dataset_and_bad_names_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no dataset folder"):
        scan_dataset(tmp_path, "door")
    with pytest.raises(InvalidNameError, match="model name '..'"):
        scan_dataset(tmp_path, "..")
    (tmp_path / "door" / "dataset" / "bad.name").mkdir(parents=True)
    with pytest.raises(DatasetError, match="bad.name"):
        scan_dataset(tmp_path, "door")


def test_training_metadata_block_tracks_new_and_changed_images(tmp_path: Path) -> None:
    root = tmp_path / "door" / "dataset"
    first = [image(root / "open" / f"{i}.png") for i in range(3)]
    block = dataset_training_metadata(tmp_path, "door")
    assert block == {"has_trained": False, "last_training_date": None, "last_training_image_count": 0,
                     "current_image_count": 3, "new_images_count": 3, "dataset_changed": True}
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    write_training_metadata(tmp_path, "door", when, 3)
    assert read_training_metadata(tmp_path, "door")["last_training_date"] == when.isoformat()  # type: ignore[index]
    assert dataset_training_metadata(tmp_path, "door")["dataset_changed"] is False
    first[0].unlink()
    image(root / "closed" / "new.png", 30)  # same count, different dataset
    block = dataset_training_metadata(tmp_path, "door")
    assert block["current_image_count"] == 3 and block["new_images_count"] == 0 and block["dataset_changed"] is True
    image(root / "closed" / "new2.png", 60)
    assert dataset_training_metadata(tmp_path, "door")["new_images_count"] == 1


@pytest.mark.parametrize(("object_model", "expected"), [(True, {"buddy": 1, "none": 2}), (False, {"buddy": 1})])
def test_wizard_examples_are_filed_and_unassigned_ones_go_to_none_for_object_models(
        tmp_path: Path, object_model: bool, expected: dict[str, int]) -> None:
    train = tmp_path / "dog" / "train"
    for i in range(3):
        image(train / f"example_{i:03d}.jpg", 40 * i)
    image(train / "e1-1700000000.0-buddy-0.9.webp")  # a recent attempt: untouched
    assert file_examples(tmp_path, "dog", {"example_001.jpg": "buddy"}, object_model) == expected
    assert sorted(p.name for p in train.iterdir()) == ["e1-1700000000.0-buddy-0.9.webp"]
    filed = sorted((tmp_path / "dog" / "dataset").glob("*/*.jpg"))
    assert [p.parent.name for p in filed] == sorted(c for c, n in expected.items() for _ in range(n))
    with pytest.raises(InvalidNameError):
        image(train / "example_000.jpg")
        file_examples(tmp_path, "dog", {"example_000.jpg": "../escape"}, object_model)
