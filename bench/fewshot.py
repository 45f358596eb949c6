"""Few-shot runs for bench/train.py: train on k labelled images per class with the real
pipeline, judge on later footage, and compare with the figure training reports.

Every image of a task is embedded once into a master feature cache; each draw copies it
beside its dataset, so training finds the features cached (its timing is not what is
measured here) and the held-out images' features are at hand.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from roost.classify.model_files import model_paths
from roost.train.embed import FEATURE_CACHE_FILE, Backbone, FeatureCache, content_hash, embed_files
from roost.train.pipeline import TrainingRequest, train_model

from object_task import balanced_accuracy


@dataclass(frozen=True)
class Task:
    """Image files with class names, a mask of the later (held-out) ones, and features."""

    paths: list[Path]
    labels: list[str]
    later: np.ndarray
    features: dict[str, np.ndarray]   # content hash → (V, D)
    hashes: list[str]
    master_cache: Path

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels))


def embed_task(paths: list[Path], labels: list[str], later: Sequence[bool], backbone: Backbone,
               master_cache: Path) -> Task:
    cache = FeatureCache(master_cache, backbone.fingerprint, backbone.preprocessing.size)
    embed_files(paths, backbone, cache)
    cache.save()
    hashes = [content_hash(p) for p in paths]
    return Task(paths, labels, np.asarray(later, bool), dict(cache.entries), hashes, master_cache)


def fused_head(model_cache: Path, model: str) -> tuple[np.ndarray, np.ndarray]:
    """(weight (D, C), bias (C,)) of the head inside the fused model on disk."""
    graph = onnx.load(str(model_paths(model, model_cache).model)).graph
    values = {init.name: numpy_helper.to_array(init) for init in graph.initializer
              if init.name in ("head_weight", "head_bias")}
    return values["head_weight"], values["head_bias"]


@dataclass(frozen=True)
class Draw:
    reported: float | None
    heldout: float
    verdict: str
    groups: int | None


def run_draw(task: Task, k: int, seed: int, root: Path, model_cache: Path, backbone: Backbone,
             object_model: bool) -> Draw:
    """Train on k random early images per class, return the reported and later-footage figures."""
    rng = np.random.default_rng(seed)
    labels = np.array(task.labels)
    chosen: list[int] = []
    for name in task.classes:
        pool = np.flatnonzero((labels == name) & ~task.later)
        chosen += rng.choice(pool, min(k, len(pool)), replace=False).tolist()
    clips = root / f"k{k}-{seed}" / "clips"
    model = "task"
    for i in chosen:
        folder = clips / model / "dataset" / task.labels[i]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(task.paths[i], folder / task.paths[i].name)
    shutil.copyfile(task.master_cache, clips / model / FEATURE_CACHE_FILE)
    result: dict[str, Any] = train_model(TrainingRequest(model, clips, model_cache, object_model), backbone=backbone)
    weight, bias = fused_head(model_cache, model)
    later = np.flatnonzero(task.later)
    features = np.stack([task.features[task.hashes[i]][0] for i in later])
    predicted = (features @ weight + bias).argmax(axis=1)
    classes = result["classes"]
    truth = np.array([classes.index(task.labels[i]) for i in later])
    metrics = result["metrics"]
    shutil.rmtree(clips.parent, ignore_errors=True)
    return Draw(metrics.get("accuracy"), balanced_accuracy(predicted, truth), str(metrics.get("verdict", "")),
                metrics.get("groups"))
