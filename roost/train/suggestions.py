"""Which recent attempts are worth labelling next, and which would add little.

For each recent attempt (`clips/<model>/train/*.webp`, run-time saves them) the trained
model gives class probabilities and the backbone features in one pass. Two signals:

- uncertainty: `1 − (top1 − top2)`: the model can barely tell two classes apart;
- novelty: `1 − max cosine similarity` to any dataset image: nothing like it is labelled.

The ranking averages the two ranks (scale-free: a margin and a cosine are not
comparable numbers), so an image that is both uncertain and new comes first. Attempts
whose best cosine similarity to a dataset image is ≥ `NEAR_DUPLICATE_SIMILARITY` are
flagged and put last: labelling them "adds little". Wizard examples (`example_*.jpg`)
are not attempts and are left out.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from roost.classify.model_files import ModelNotTrainedError, backbone_path, load_model, read_rgb
from roost.train.dataset import TRAIN_DIR, model_clips_dir, scan_dataset
from roost.train.embed import FEATURE_CACHE_FILE, Backbone, FeatureCache, content_hash
from roost.train.groups import similar_clusters

logger = logging.getLogger(__name__)

#: Head-feature cosine similarity at and above which an attempt is a near-duplicate of a
#: dataset image. Measured on the head's features (`roost.train.features`): the same photo
#: crop brightened 0.993, saved as WebP 0.973, mirrored 0.967, shifted 5 % 0.925; another
#: crop of the same photo 0.56, another photo 0.14; consecutive attempts of one walking
#: person in vtest.avi median 0.82 (those differ enough to be worth labelling).
NEAR_DUPLICATE_SIMILARITY = 0.92
ATTEMPT_SUFFIXES = frozenset({".webp", ".jpg", ".jpeg", ".png"})
EXAMPLE_PREFIX = "example_"
BATCH = 16


@dataclass(frozen=True)
class Suggestion:
    """One recent attempt, scored. `priority` in [0, 1]: 1 = label this first."""

    file: str
    top_class: str
    top_score: float
    second_class: str
    margin: float
    nearest_dataset_image: str | None
    similarity: float
    near_duplicate: bool
    priority: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, D), (M, D) → (N, M) cosine similarities."""
    a_n = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b_n = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a_n @ b_n.T  # type: ignore[no-any-return]


def _ranks01(values: np.ndarray) -> np.ndarray:
    """Rank of each value scaled to [0, 1] (ties share the mean rank); 0.5 for one value."""
    if len(values) == 1:
        return np.array([0.5])
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks / (len(values) - 1)


def rank_attempts(probabilities: np.ndarray, features: np.ndarray, dataset_features: np.ndarray,
                  labels: list[str], files: list[str], dataset_files: list[str],
                  near_duplicate: float = NEAR_DUPLICATE_SIMILARITY) -> list[Suggestion]:
    """Pure ranking. probabilities (N, C), features (N, D), dataset_features (M, D); files (N,),
    dataset_files (M,) name the rows. Returns suggestions, best first, near-duplicates last."""
    if len(files) == 0:
        return []
    order = np.argsort(-probabilities, axis=1)
    top, second = order[:, 0], order[:, 1]
    rows = np.arange(len(files))
    margin = probabilities[rows, top] - probabilities[rows, second]
    if len(dataset_files):
        similarity = cosine_similarity(features, dataset_features)
        nearest = similarity.argmax(axis=1)
        best = similarity[rows, nearest]
    else:
        nearest, best = np.zeros(len(files), np.int64), np.zeros(len(files))
    priority = 0.5 * (_ranks01(-margin) + _ranks01(-best))
    duplicate = best >= near_duplicate
    suggestions = [
        Suggestion(file=files[i], top_class=labels[top[i]], top_score=round(float(probabilities[i, top[i]]), 4),
                   second_class=labels[second[i]], margin=round(float(margin[i]), 4),
                   nearest_dataset_image=dataset_files[nearest[i]] if len(dataset_files) else None,
                   similarity=round(float(best[i]), 4), near_duplicate=bool(duplicate[i]),
                   priority=round(float(priority[i]), 4))
        for i in rows]
    return sorted(suggestions, key=lambda s: (s.near_duplicate, -s.priority, s.file))


def attempt_files(clips_dir: Path, model: str) -> list[Path]:
    """Recent attempts under `clips/<model>/train/`, newest first (wizard examples excluded)."""
    folder = model_clips_dir(clips_dir, model) / TRAIN_DIR
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in ATTEMPT_SUFFIXES
             and not p.name.startswith((EXAMPLE_PREFIX, "."))]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def suggest(clips_dir: Path, model_cache: Path, model: str, object_model: bool = False,
            limit: int | None = None, threads: int = 1) -> list[Suggestion]:
    """`GET /api/classification/<model>/suggestions`: rank the model's recent attempts.

    Raises ModelNotTrainedError when there is no model yet. Dataset features come from the
    training feature cache; dataset images missing from it are run through the model.
    """
    loaded = load_model(model, model_cache, threads)
    attempts = attempt_files(clips_dir, model)
    images, names = [], []
    for path in attempts:
        image = read_rgb(path)
        if image is None:
            logger.warning("suggestions: skipping unreadable attempt %s", path)
            continue
        images.append(image)
        names.append(path.name)
    probabilities, features = _run_batched(loaded.run, images, loaded.labels)
    dataset_features, dataset_names = _dataset_features(clips_dir, model, object_model, loaded)
    ranked = rank_attempts(probabilities, features, dataset_features, loaded.labels, names, dataset_names)
    return ranked[:limit] if limit is not None else ranked


def _run_batched(run: Any, images: list[np.ndarray], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    if not images:
        return np.zeros((0, len(labels)), np.float32), np.zeros((0, 1), np.float32)
    parts = [run(images[i:i + BATCH]) for i in range(0, len(images), BATCH)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _dataset_features(clips_dir: Path, model: str, object_model: bool, loaded: Any) -> tuple[np.ndarray, list[str]]:
    """Original-view features (M, D) of the dataset images and their "class/file" names."""
    dataset = scan_dataset(clips_dir, model, object_model)
    fingerprint = str(loaded.metadata.get("backbone", {}).get("fingerprint", ""))
    cache = FeatureCache(model_clips_dir(clips_dir, model) / FEATURE_CACHE_FILE, fingerprint,
                         loaded.preprocessing.size)
    rows: list[np.ndarray] = []
    names: list[str] = []
    missing: list[tuple[str, np.ndarray]] = []
    for path in dataset.labelled_files()[0]:
        name = f"{path.parent.name}/{path.name}"
        cached = cache.get(content_hash(path))
        if cached is not None:
            rows.append(cached[0])
            names.append(name)
            continue
        image = read_rgb(path)
        if image is not None:
            missing.append((name, image))
    if missing:
        _, computed = _run_batched(loaded.run, [image for _, image in missing], loaded.labels)
        rows.extend(computed)
        names.extend(name for name, _ in missing)
    return (np.stack(rows) if rows else np.zeros((0, 1), np.float32)), names


def distinct_images(clips_dir: Path, model_cache: Path, model: str, files: list[Path],
                    threads: int = 1) -> list[list[str]]:
    """`POST /api/classification/<model>/distinct`: the given recent attempts in clusters of
    near-duplicates (similarity ≥ `NEAR_DUPLICATE_SIMILARITY`, chained), biggest first, so a
    bulk selection can say how many distinct images it really holds. Uses the trained
    model's features, or the backbone's while the model is untrained (the same values).
    Unreadable files are left out."""
    images, names = [], []
    for path in files:
        image = read_rgb(path)
        if image is not None:
            images.append(image)
            names.append(path.name)
    if not images:
        return []
    try:
        loaded = load_model(model, model_cache, threads)
        _, features = _run_batched(loaded.run, images, loaded.labels)
    except ModelNotTrainedError:
        features = Backbone(backbone_path(model_cache), threads).embed(images)
    clusters: dict[int, list[str]] = {}
    for name, cluster in zip(names, similar_clusters(features, NEAR_DUPLICATE_SIMILARITY).tolist(), strict=True):
        clusters.setdefault(cluster, []).append(name)
    return sorted(clusters.values(), key=lambda c: (-len(c), c[0]))

