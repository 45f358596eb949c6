"""What a trained model is used for next: suggestions, archive round trip, the CLI."""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from train_photos import build_dataset, photo_crops, write_rgb

from roost.classify.model_files import load_model, model_paths, read_rgb
from roost.train.archive import ArchiveError, export_classifier, import_classifier
from roost.train.cli import add_classify_parser
from roost.train.embed import Backbone
from roost.train.pipeline import TrainingRequest, train_model
from roost.train.suggestions import suggest


@pytest.fixture
def model(media: tuple[Path, Path], backbone: Backbone) -> tuple[Path, Path]:
    clips, cache = media
    build_dataset(clips, "pets", 6, {"cat": "chelsea", "coffee": "coffee"})
    train_model(TrainingRequest("pets", clips, cache), backbone=backbone)
    return clips, cache


def test_suggestions_flag_near_duplicates_and_rank_them_last(model: tuple[Path, Path]) -> None:
    clips, cache = model
    train = clips / "pets" / "train"
    train.mkdir()
    shutil.copy(clips / "pets" / "dataset" / "cat" / "cat_000.png", train / "none-none-1700000000.0-cat-1.0.webp")
    cat, coffee = photo_crops("chelsea", 1, 501)[0], photo_crops("coffee", 1, 502)[0]
    blend = (0.5 * cv_resize(cat, 200) + 0.5 * cv_resize(coffee, 200)).astype(np.uint8)
    write_rgb(train / "none-none-1700000001.0-cat-0.6.webp", blend)
    write_rgb(train / "none-none-1700000002.0-cat-0.9.webp", photo_crops("astronaut", 1, 503)[0])  # unlike all
    write_rgb(train / "example_000.jpg", cat)  # wizard example, not an attempt
    ranked = suggest(clips, cache, "pets")
    assert [s.file for s in ranked][-1] == "none-none-1700000000.0-cat-1.0.webp"
    assert ranked[-1].near_duplicate and ranked[-1].similarity > 0.99
    assert ranked[-1].nearest_dataset_image == "cat/cat_000.png"
    assert not any(s.near_duplicate for s in ranked[:-1])
    assert len(ranked) == 3 and all(s.file.startswith("none-none") for s in ranked)


def cv_resize(image: np.ndarray, side: int) -> np.ndarray:
    return cv2.resize(image, (side, side)).astype(np.float32)


def test_archive_round_trip_restores_an_identical_model_and_dataset(model: tuple[Path, Path], tmp_path: Path) -> None:
    clips, cache = model
    archive = export_classifier("pets", cache, clips, tmp_path / "pets.zip", with_dataset=True)
    new_clips, new_cache = tmp_path / "other" / "clips", tmp_path / "other" / "cache"
    checked = import_classifier(archive, new_cache, new_clips, name="pets_copy")
    assert checked.model == "pets_copy" and len(checked.dataset) == 12
    image = read_rgb(clips / "pets" / "dataset" / "cat" / "cat_001.png")
    assert image is not None
    original, copy = load_model("pets", cache).predict(image), load_model("pets_copy", new_cache).predict(image)
    assert np.array_equal(original, copy)
    assert sorted(p.name for p in (new_clips / "pets_copy" / "dataset" / "coffee").iterdir()) == \
        [f"coffee_{i:03d}.png" for i in range(6)]
    with pytest.raises(ArchiveError, match="already exists"):
        import_classifier(archive, new_cache, new_clips, name="pets_copy")
    import_classifier(archive, new_cache, new_clips, name="pets_copy", replace=True)


def test_a_real_archive_with_a_traversal_member_writes_nothing(model: tuple[Path, Path], tmp_path: Path) -> None:
    clips, cache = model
    archive = export_classifier("pets", cache, clips, tmp_path / "pets.zip")
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr("dataset/cat/../../../../escape.png", b"x")
    target = tmp_path / "target"
    with pytest.raises(ArchiveError, match="leaves the model's folders"):
        import_classifier(archive, target / "cache", target / "clips")
    assert not target.exists() and not (tmp_path / "escape.png").exists()


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roost")
    add_classify_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_cli_trains_with_a_progress_bar_then_exports_and_imports(media: tuple[Path, Path], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    clips, cache = media
    build_dataset(clips, "door", 4, {"open": "astronaut", "closed": "coffee"})
    dirs = ["--media-dir", str(clips.parent), "--model-cache", str(cache)]
    assert run_cli(["classify", "train", "door", "--type", "state", *dirs]) == 0
    out = capsys.readouterr()
    assert "embedding [" in out.err and "8/8" in out.err
    assert "trained door: 8 images" in out.out and "held-out accuracy" in out.out
    assert run_cli(["classify", "export", "door", "-o", str(tmp_path / "door.zip"), "--with-dataset", *dirs]) == 0
    other = ["--media-dir", str(tmp_path / "m2"), "--model-cache", str(tmp_path / "c2")]
    assert run_cli(["classify", "import", str(tmp_path / "door.zip"), *other]) == 0
    assert model_paths("door", tmp_path / "c2").is_complete()
    assert run_cli(["classify", "train", "..", *dirs]) == 2
    assert "model name '..'" in capsys.readouterr().err
