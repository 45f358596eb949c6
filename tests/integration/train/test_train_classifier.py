"""Training a real classifier on photographs: progress, quality, torch-free run-time model,
agreement between the fused model and the training pipeline, feature cache, bad input."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from train_photos import PHOTOS, build_dataset, photo_crops, write_rgb

from roost.classify.model_files import InvalidNameError, model_paths, read_rgb
from roost.train.dataset import DatasetError, scan_dataset
from roost.train.embed import AUGMENTATIONS, FEATURE_CACHE_FILE, INPUT_SIZE, Backbone, FeatureCache, content_hash
from roost.train.head import train_head
from roost.train.pipeline import TrainingProgress, TrainingRequest, train_model
from roost.train.run import Trainer, TrainingInProgressError, TrainingRun

#: Held-out crops (other seeds than the training crops) must be classified at least this well.
HELDOUT_ACCURACY_FLOOR = 0.9
#: Fused ONNX model vs. backbone-features-then-head in numpy, probability units.
AGREEMENT_TOLERANCE = 1e-4
PER_CLASS = 10


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, backbone: Backbone) -> dict[str, Any]:
    """A 3-class model trained once through the child process, with every progress report."""
    root = tmp_path_factory.mktemp("trained")
    clips, cache = root / "clips", root / "model_cache"
    (cache / "backbone").mkdir(parents=True)
    (cache / "backbone" / backbone.path.name).symlink_to(backbone.path.resolve())
    build_dataset(clips, "things", PER_CLASS)
    reports: list[TrainingProgress] = []
    final = TrainingRun(TrainingRequest("things", clips, cache), [reports.append]).start().wait(timeout=120)
    return {"clips": clips, "cache": cache, "reports": reports, "final": final, "root": root}


def test_training_reports_progress_then_complete(trained: dict[str, Any]) -> None:
    reports, final = trained["reports"], trained["final"]
    assert final.state == "complete", final.message
    assert reports[0].state == "training" and reports[-1].state == "complete"
    assert all(r.state == "training" for r in reports[:-1])
    embedding = [r for r in reports if r.stage == "embedding"]
    assert embedding[-1].done == embedding[-1].total == 3 * PER_CLASS
    assert [r.done for r in embedding] == sorted(r.done for r in embedding)
    assert final.result["peak_rss_mb"] > 0


def test_model_files_and_metadata_are_written(trained: dict[str, Any]) -> None:
    paths = model_paths("things", trained["cache"])
    assert paths.labelmap.read_text() == "cat\ncoffee\nrocket\n"
    metadata = json.loads(paths.metadata.read_text())
    assert metadata["classes"] == ["cat", "coffee", "rocket"]
    assert metadata["image_counts"] == {"cat": PER_CLASS, "coffee": PER_CLASS, "rocket": PER_CLASS}
    assert metadata["preprocessing"]["size"] == INPUT_SIZE == 128 and metadata["preprocessing"]["scale"] == 1 / 128
    metrics = metadata["metrics"]
    assert metrics["method"] == "grouped_k_fold" and metrics["images"] == 3 * PER_CLASS
    assert metrics["groups"] >= 20 and set(metrics["group_kinds"]) == {"similar"}  # distinct crops, no origin
    assert metrics["accuracy"] >= HELDOUT_ACCURACY_FLOOR
    assert np.array(metrics["confusion_matrix"]["rows_true_columns_predicted"]).sum() == 3 * PER_CLASS
    assert metadata["self_check_max_difference"] <= 1e-3
    training = json.loads((trained["clips"] / "things" / ".training_metadata.json").read_text())
    assert training["last_training_image_count"] == 3 * PER_CLASS and "last_training_date" in training


RUNTIME_SCRIPT = """
import json, sys
sys.modules["torch"] = None  # any `import torch` now raises ImportError
from pathlib import Path
from roost.classify.model_files import load_model, read_rgb
model = load_model("things", Path(sys.argv[1]))
images = [read_rgb(Path(p)) for p in sys.argv[2:]]
probabilities = model.predict(images)
try:
    import torch
    torch_blocked = False
except ImportError:
    torch_blocked = True
print(json.dumps({"labels": model.labels, "probabilities": probabilities.tolist(), "torch_blocked": torch_blocked,
                  "torch_loaded": [m for m in sys.modules if m.startswith("torch") and sys.modules[m] is not None]}))
"""


def heldout_images(root: Path) -> tuple[list[Path], list[int]]:
    files, labels = [], []
    for index, (name, photo) in enumerate(PHOTOS.items()):
        for i, crop in enumerate(photo_crops(photo, 8, seed=9000 + index)):
            files.append(write_rgb(root / "heldout" / f"{name}_{i}.png", crop))
            labels.append(index)
    return files, labels


def test_fused_model_runs_without_torch_and_agrees_with_the_training_pipeline(
        trained: dict[str, Any], backbone: Backbone) -> None:
    files, truth = heldout_images(trained["root"])
    out = subprocess.run([sys.executable, "-c", RUNTIME_SCRIPT, str(trained["cache"]), *map(str, files)],
                         capture_output=True, text=True, timeout=120, check=True)
    runtime = json.loads(out.stdout)
    assert runtime["torch_blocked"] and runtime["torch_loaded"] == []
    probabilities = np.array(runtime["probabilities"])
    accuracy = float((probabilities.argmax(1) == np.array(truth)).mean())
    assert accuracy >= HELDOUT_ACCURACY_FLOOR, accuracy

    # The training pipeline's own prediction: cached backbone features → the same
    # (deterministic) head fit → softmax, for the same held-out images.
    clips = trained["clips"]
    dataset = scan_dataset(clips, "things")
    paths, labels = dataset.labelled_files()
    cache = FeatureCache(clips / "things" / FEATURE_CACHE_FILE, backbone.fingerprint,
                         backbone.preprocessing.size)
    features = np.stack([cache.get(content_hash(p)) for p in paths])  # type: ignore[misc]
    head = train_head(features.reshape(-1, features.shape[2]), np.repeat(labels, len(AUGMENTATIONS)), 3)
    expected = head.probabilities(backbone.embed([read_rgb(p) for p in files]))  # type: ignore[misc]
    assert np.abs(expected - probabilities).max() <= AGREEMENT_TOLERANCE


def test_retraining_after_adding_k_images_embeds_only_those_k(media: tuple[Path, Path], backbone: Backbone) -> None:
    clips, cache = media
    build_dataset(clips, "pets", 5, {"cat": "chelsea", "coffee": "coffee"})
    request = TrainingRequest("pets", clips, cache)
    before = backbone.images_embedded
    first = train_model(request, backbone=backbone)
    assert first["embedded_this_run"] == 10
    assert backbone.images_embedded - before == 10 * len(AUGMENTATIONS)
    for i, crop in enumerate(photo_crops("chelsea", 3, seed=77)):
        write_rgb(clips / "pets" / "dataset" / "cat" / f"new_{i}.jpg", crop)
    before = backbone.images_embedded
    second = train_model(request, backbone=backbone)
    assert second["embedded_this_run"] == 3
    assert backbone.images_embedded - before == 3 * len(AUGMENTATIONS)
    assert second["training_image_count"] == 13
    assert second["comparison"]["previous_accuracy"] == first["metrics"]["accuracy"]
    (clips / "pets" / "dataset" / "cat" / "new_0.jpg").unlink()
    before = backbone.images_embedded
    assert train_model(request, backbone=backbone)["embedded_this_run"] == 0
    assert backbone.images_embedded == before


def test_unreadable_and_non_image_files_are_skipped_with_a_warning(media: tuple[Path, Path], backbone: Backbone,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    clips, cache = media
    build_dataset(clips, "door", 4, {"open": "astronaut", "closed": "coffee"})
    bad = clips / "door" / "dataset" / "open"
    (bad / "garbage.png").write_bytes(np.random.default_rng(0).bytes(500))
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "readme.txt").write_text("hello")
    with caplog.at_level(logging.WARNING):
        result = train_model(TrainingRequest("door", clips, cache), backbone=backbone)
    assert result["image_counts"] == {"closed": 4, "open": 4}
    assert sorted(Path(p).name for p in result["skipped_images"]) == ["empty.jpg", "garbage.png"]
    assert "garbage.png" in caplog.text and "readme.txt" in caplog.text


def test_bad_datasets_fail_with_the_class_named(media: tuple[Path, Path], backbone: Backbone) -> None:
    clips, cache = media
    build_dataset(clips, "solo", 4, {"open": "astronaut"})
    with pytest.raises(DatasetError, match="at least 2 classes"):
        train_model(TrainingRequest("solo", clips, cache), backbone=backbone)
    (clips / "solo" / "dataset" / "closed").mkdir()
    with pytest.raises(DatasetError, match="'closed' has 0"):
        train_model(TrainingRequest("solo", clips, cache), backbone=backbone)
    build_dataset(clips, "dog", 4, {"buddy": "chelsea", "rex": "astronaut"})
    with pytest.raises(DatasetError, match="'none' has 0"):
        train_model(TrainingRequest("dog", clips, cache, object_model=True), backbone=backbone)
    build_dataset(clips, "dog", 4, {"none": "coffee"}, seed=5)
    assert train_model(TrainingRequest("dog", clips, cache, object_model=True),
                       backbone=backbone)["classes"] == ["buddy", "none", "rex"]
    with pytest.raises(InvalidNameError, match=r"'\.\.'"):
        train_model(TrainingRequest("..", clips, cache), backbone=backbone)
    with pytest.raises(InvalidNameError):
        TrainingRun(TrainingRequest("../x", clips, cache))


def test_a_failing_run_reports_failed_with_the_reason(media: tuple[Path, Path]) -> None:
    clips, cache = media
    build_dataset(clips, "solo", 3, {"open": "astronaut"})
    trainer, seen = Trainer(), []
    trainer.subscribe(seen.append)
    run = trainer.start(TrainingRequest("solo", clips, cache))
    with pytest.raises(TrainingInProgressError):
        trainer.start(TrainingRequest("solo", clips, cache))
    final = run.wait(timeout=60)
    assert final.state == "failed" and "at least 2 classes" in final.message
    assert trainer.status("solo") == final and seen[-1] == final
    assert not model_paths("solo", cache).root.exists()
