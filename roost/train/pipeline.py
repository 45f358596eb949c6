"""One training run, start to finish, in the calling process (run.py puts it in a child).

scan dataset → embed (cached, augmented) → group (event / minute / near-duplicates) →
validation by groups → fit head on all →
fuse with backbone → write labelmap, metadata, then model.onnx last (run-time reloads
on model.onnx's mtime) → self-check the written model → `.training_metadata.json`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from roost.classify.model_files import (
    BACKBONE_NAME,
    METADATA_FORMAT,
    ModelPaths,
    Preprocessing,
    backbone_path,
    labelmap_text,
    load_model,
    model_paths,
    read_metadata,
    read_rgb,
)
from roost.train.dataset import check_class_counts, model_clips_dir, scan_dataset
from roost.train.embed import AUGMENTATIONS, FEATURE_CACHE_FILE, INPUT_SIZE, Backbone, FeatureCache, embed_files
from roost.train.features import FEATURE_LAYOUT
from roost.train.fuse import fuse_to_bytes, write_atomically
from roost.train.head import ITERATIONS, L2_PENALTY, WHITEN, SoftmaxHead, train_head
from roost.train.groups import group_images
from roost.train.metrics import compare_with_previous, cross_validated_predictions, summarize
from roost.train.status import write_training_metadata

logger = logging.getLogger(__name__)

#: Largest |fused model − training pipeline| probability difference accepted by the self-check.
SELF_CHECK_TOLERANCE = 1e-3


@dataclass(frozen=True)
class TrainingRequest:
    """What to train. Picklable: it crosses into the training child process."""

    model: str
    clips_dir: Path
    model_cache: Path
    object_model: bool = False
    threads: int = 2
    input_size: int = INPUT_SIZE  # the backbone's input side; a passed-in backbone's wins


@dataclass(frozen=True)
class TrainingProgress:
    """One report from a run. `state`: training | complete | failed; `stage`: scanning,
    embedding, evaluating, fitting, writing, done; `done`/`total`: images embedded so far
    (cached ones included) out of the dataset's. `result` is the summary once complete."""

    model: str
    state: str
    stage: str
    done: int = 0
    total: int = 0
    message: str = ""
    result: dict[str, Any] | None = field(default=None)


ProgressSink = Callable[[TrainingProgress], None]


def train_model(request: TrainingRequest, report: ProgressSink | None = None,
                backbone: Backbone | None = None) -> dict[str, Any]:
    """Run one training and return its summary (also written into metadata.json).

    Raises DatasetError for datasets that cannot be trained, FileNotFoundError when the
    backbone was never exported. `backbone` may be passed in to reuse a loaded session.
    """
    started = time.perf_counter()
    name = request.model

    def emit(stage: str, done: int = 0, total: int = 0, message: str = "") -> None:
        if report is not None:
            report(TrainingProgress(name, "training", stage, done, total, message))

    emit("scanning")
    dataset = scan_dataset(request.clips_dir, name, request.object_model)
    check_class_counts(name, dataset.counts())
    classes = dataset.classes
    files, file_labels = dataset.labelled_files()
    net = backbone if backbone is not None else Backbone(backbone_path(request.model_cache), request.threads,
                                                         preprocessing=Preprocessing(size=request.input_size))
    cache = FeatureCache(model_clips_dir(request.clips_dir, name) / FEATURE_CACHE_FILE, net.fingerprint,
                         net.preprocessing.size)
    emit("embedding", 0, len(files))
    embedded = embed_files(files, net, cache, augment=True,
                           progress=lambda done, total: emit("embedding", done, total))
    cache.retain(set(embedded.keys))
    cache.save()
    label_of = dict(zip(files, file_labels, strict=True))
    labels = np.array([label_of[p] for p in embedded.paths], dtype=np.int64)
    counts = {c: int((labels == i).sum()) for i, c in enumerate(classes)}
    check_class_counts(name, counts)

    emit("evaluating", len(files), len(files))
    names = [f"{p.parent.name}/{p.name}" for p in embedded.paths]
    groups = group_images([p.stem for p in embedded.paths], embedded.features[:, 0], request.object_model)
    probabilities, method, folds = cross_validated_predictions(embedded.features, labels, len(classes), groups.index)
    metrics = summarize(labels, probabilities, classes, method, folds, names, groups)
    emit("fitting", len(files), len(files))
    views = embedded.features.shape[1]
    head = train_head(embedded.features.reshape(-1, embedded.features.shape[2]), np.repeat(labels, views), len(classes))

    emit("writing", len(files), len(files))
    paths = model_paths(name, request.model_cache)
    previous = _previous_metadata(paths)
    now = datetime.now(timezone.utc)
    comparison = compare_with_previous(metrics, previous)
    metadata = {
        "format": METADATA_FORMAT,
        "model": name,
        "type": "object" if request.object_model else "state",
        "created": now.isoformat(),
        "backbone": {"name": BACKBONE_NAME, "fingerprint": net.fingerprint},
        "preprocessing": net.preprocessing.to_dict(),
        "classes": classes,
        "image_counts": counts,
        "training_image_count": int(len(labels)),
        "skipped_images": [str(p) for p in embedded.skipped],
        "augmentations": list(AUGMENTATIONS),
        "features": FEATURE_LAYOUT,
        "head": {"type": "softmax_regression", "l2": L2_PENALTY, "iterations": ITERATIONS, "class_balanced": True,
                 "whitened": WHITEN},
        "metrics": metrics,
        "comparison": comparison,
        "embedded_this_run": embedded.computed,
        "training_seconds": round(time.perf_counter() - started, 3),
    }
    paths.root.mkdir(parents=True, exist_ok=True)
    write_atomically(paths.labelmap, labelmap_text(classes).encode())
    write_atomically(paths.metadata, json.dumps(metadata, indent=2).encode())
    write_atomically(paths.model, fuse_to_bytes(net.path, head, classes, name, net.preprocessing.size))
    self_check = _self_check(request, head, embedded.paths[0], embedded.features[0, 0])
    metadata["self_check_max_difference"] = self_check
    metadata["training_seconds"] = round(time.perf_counter() - started, 3)
    write_atomically(paths.metadata, json.dumps(metadata, indent=2).encode())
    write_training_metadata(request.clips_dir, name, now, int(len(labels)))
    logger.info("trained %s: %d images, classes %s, %s; %.2f s (%d embedded)", name, len(labels), classes,
                comparison["message"], metadata["training_seconds"], embedded.computed)
    return metadata


def _previous_metadata(paths: ModelPaths) -> dict[str, Any] | None:
    try:
        return read_metadata(paths.metadata) if paths.metadata.is_file() else None
    except (OSError, ValueError) as error:
        logger.warning("ignoring unreadable previous metadata %s: %s", paths.metadata, error)
        return None


def _self_check(request: TrainingRequest, head: SoftmaxHead, image_path: Path, features: np.ndarray) -> float:
    """Load the written model as run-time does and compare its output for one dataset image
    with the training pipeline's (its cached original-view features (D,) → head).
    Raises if they disagree."""
    image = read_rgb(image_path)
    if image is None:
        raise RuntimeError(f"self-check: {image_path} became unreadable during training")
    expected = head.probabilities(features[None, :])
    actual = load_model(request.model, request.model_cache, threads=request.threads).predict(image)
    difference = float(np.abs(expected - actual).max())
    if difference > SELF_CHECK_TOLERANCE:
        raise RuntimeError(f"self-check: the fused model differs from the training pipeline by {difference:.2e}")
    return difference
