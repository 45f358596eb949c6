"""Backbone features for training, computed once per image and cached by content hash.

The frozen EfficientNet-Lite0 (ONNX, exported at setup) turns each RGB crop into the
head's feature vector (`roost.train.features`: pooled maps of three depths, 1536 values).
Each dataset image is embedded in `len(AUGMENTATIONS)` views. Each view is one backbone
pass, which is what cold training time is made of, so only views that measurably help are
kept. Measured on the bench's few-shot people task (10 per class, later footage, mean of
12 draws, paired against the image alone): mirrored +0.000, 85 % zooms in (centre or
corners) +0.006 to +0.014, zoom *out* (the image shrunk to 78–85 % of the view, its edge
pixels repeated around it) +0.019, the same with a grey border −0.001. Zooming out keeps
the class (the same object, seen smaller or from a wider box, as run-time meets farther
objects) and moves every part of it to another place in the pooled row bands, so the head
cannot lean on where exactly an object's parts fall. Several zoom-outs or zoom-out plus
zoom-in added nothing over one (±0.003), so the views are the image and one zoom-out to
`ZOOM_OUT` (bench/train.py: cold training of 200 images 3.6 → 5.5 s). The cache
(`clips/<model>/.features.npz`) maps the SHA-256 of the file's bytes to its (V, D)
features; it is tied to the backbone file, the feature layout and the augmentation list,
so a change of any invalidates it. Adding k images to a dataset embeds k images.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]

from roost.classify.model_files import (
    INPUT_NAME,
    Preprocessing,
    backbone_path,
    preprocess,
    read_rgb,
    session_options,
)
from roost.train.features import FEATURE_LAYOUT, head_feature_dim, head_feature_graph

logger = logging.getLogger(__name__)

#: Views embedded per image; index 0 is always the untouched image (used for metrics,
#: suggestions and similarity). Changing this list invalidates every feature cache.
AUGMENTATIONS = ("original", "zoom_out_80")
#: The zoomed-out view shows the image at this fraction of its width and height.
ZOOM_OUT = 0.8
#: Side in pixels every crop is resized to before the backbone (run-time and training alike;
#: `metadata.json` `preprocessing.size` records it per model, so models trained at another
#: size keep running as they were). A multiple of 32 (`features.INPUT_STRIDE`). Was 224,
#: the ImageNet size; the backbone pass costs about the square of it (1 thread, this
#: machine: 224 → 16.1 ms, 192 → 12.0, 160 → 8.6, 128 → 6.2). bench/train.py's object task
#: at 12 draws, 224 → 128 px: k5 0.889 → 0.919, k10 0.932 → 0.936, k20 0.955 → 0.972 (4 draws
#: at 160: 0.929, 0.926, 0.965); state tasks 0.999 → 1.000. Run-time crops (people at
#: detect resolution, state regions of a few hundred pixels) carry little that 128 px loses.
INPUT_SIZE = 128
BATCH_SIZE = 16
FEATURE_CACHE_FILE = ".features.npz"

ProgressCallback = Callable[[int, int], None]


def zoomed_out(image: np.ndarray, fraction: float = ZOOM_OUT) -> np.ndarray:
    """The image in the middle of a canvas `1 / fraction` times its size, the border filled
    by repeating its edge pixels (a grey border measured worse: it is a frame no real crop has).

    >>> zoomed_out(np.zeros((16, 8, 3), np.uint8)).shape
    (20, 10, 3)
    """
    height, width = image.shape[:2]
    pad_y = int(round(height * (1 / fraction - 1) / 2))
    pad_x = int(round(width * (1 / fraction - 1) / 2))
    return cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)


def augmented_views(image: np.ndarray) -> list[np.ndarray]:
    """RGB uint8 (H, W, 3) → the `AUGMENTATIONS` views of it, deterministic (same input, same views)."""
    return [image, zoomed_out(image)]


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes: the cache key (renaming or moving a file keeps its features)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_fingerprint(path: Path) -> str:
    """Identity of the backbone file, so a re-exported backbone invalidates cached features."""
    return content_hash(path)[:16]


class Backbone:
    """The frozen feature extractor: RGB crops → (N, `dim`) head features, float32, in batches.

    `images_embedded` counts every image that went through the network (tests and the
    benchmark read it to prove the cache works).
    """

    def __init__(self, path: Path | None = None, threads: int = 2, batch_size: int = BATCH_SIZE,
                 preprocessing: Preprocessing | None = None) -> None:
        self.path = path if path is not None else backbone_path()
        if not self.path.is_file():
            raise FileNotFoundError(
                f"classification backbone {self.path} is missing; run scripts/prepare-backbone.sh "
                "(or `make setup`) once to export it")
        preprocessing = preprocessing if preprocessing is not None else Preprocessing(size=INPUT_SIZE)
        graph = head_feature_graph(onnx.load(str(self.path)), preprocessing.size)
        self.session = ort.InferenceSession(graph.SerializeToString(), sess_options=session_options(threads),
                                            providers=["CPUExecutionProvider"])
        self.dim = head_feature_dim()
        self.batch_size = batch_size
        self.preprocessing = preprocessing
        self.fingerprint = file_fingerprint(self.path)
        self.images_embedded = 0

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 images (any sizes) → features (N, `dim`) float32."""
        out = np.empty((len(images), self.dim), dtype=np.float32)
        for start in range(0, len(images), self.batch_size):
            batch = images[start:start + self.batch_size]
            tensor = preprocess(list(batch), self.preprocessing)
            out[start:start + len(batch)] = self.session.run(None, {INPUT_NAME: tensor})[0]
            self.images_embedded += len(batch)
        return out


class FeatureCache:
    """Content hash → (V, D) features, persisted as one `.npz` beside the dataset.

    Features depend on the backbone file, the layout, the augmentations and the input size
    (`input_size`: the backbone's input side in pixels), so all four make up its tag."""

    def __init__(self, path: Path, fingerprint: str, input_size: int) -> None:
        self.path = path
        self.tag = f"{fingerprint}:{FEATURE_LAYOUT}@{input_size}:{'|'.join(AUGMENTATIONS)}"
        self.entries: dict[str, np.ndarray] = {}
        self._dirty = False
        if path.is_file():
            self._load()

    def _load(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["tag"]) != self.tag:
                    logger.info("feature cache %s was made with another backbone/augmentation; rebuilding", self.path)
                    self._dirty = True
                    return
                self.entries = dict(zip((str(k) for k in data["keys"]), data["features"], strict=True))
        except (OSError, ValueError, KeyError) as error:
            logger.warning("feature cache %s is unreadable (%s); rebuilding it", self.path, error)
            self._dirty = True

    def get(self, key: str) -> np.ndarray | None:
        return self.entries.get(key)

    def put(self, key: str, features: np.ndarray) -> None:
        self.entries[key] = features.astype(np.float32)
        self._dirty = True

    def retain(self, keys: set[str]) -> None:
        """Forget images no longer in the dataset, so the cache does not grow forever."""
        stale = set(self.entries) - keys
        for key in stale:
            del self.entries[key]
        self._dirty = self._dirty or bool(stale)

    def save(self) -> None:
        if not self._dirty:
            return
        keys = sorted(self.entries)
        features = (np.stack([self.entries[k] for k in keys]) if keys
                    else np.zeros((0, len(AUGMENTATIONS), head_feature_dim()), np.float32))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".features-", suffix=".tmp", dir=self.path.parent)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, tag=np.array(self.tag), keys=np.array(keys, dtype=str), features=features)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.path)
        self._dirty = False


@dataclass(frozen=True)
class EmbeddedImages:
    """Features of the readable images among `paths`: `features[i]` is (V, D) of `paths[i]`."""

    paths: list[Path]
    keys: list[str]
    features: np.ndarray  # (N, V, D)
    computed: int         # images that went through the backbone this time
    skipped: list[Path]   # unreadable or not images


def embed_files(paths: Sequence[Path], backbone: Backbone, cache: FeatureCache | None,
                augment: bool = True, progress: ProgressCallback | None = None) -> EmbeddedImages:
    """Embed image files, reusing cached features; unreadable files are skipped with a warning.

    `progress(done, total)` counts images (cached ones count as done at once).
    """
    views = len(AUGMENTATIONS) if augment else 1
    keys: list[str] = []
    found: dict[str, np.ndarray] = {}
    todo: list[tuple[int, str]] = []
    for i, path in enumerate(paths):
        try:
            key = content_hash(path)
        except OSError as error:
            logger.warning("skipping %s: cannot read it (%s)", path, error)
            key = ""
        keys.append(key)
        cached = cache.get(key) if cache is not None and key else None
        if cached is not None and cached.shape[0] >= views:
            found[key] = cached[:views]
        elif key:
            todo.append((i, key))
    total, done = len(paths), len(paths) - len(todo)
    if progress:
        progress(done, total)
    skipped = [p for p, k in zip(paths, keys, strict=True) if not k]
    computed = 0
    for start in range(0, len(todo), backbone.batch_size):
        chunk, images, owners = todo[start:start + backbone.batch_size], [], []
        for i, key in chunk:
            image = read_rgb(paths[i])
            if image is None:
                logger.warning("skipping %s: not a readable image", paths[i])
                skipped.append(paths[i])
                keys[i] = ""
                continue
            for view in (augmented_views(image) if augment else [image]):
                images.append(view)
            owners.append(key)
        if images:
            features = backbone.embed(images).reshape(len(owners), views, backbone.dim)
            for key, feats in zip(owners, features, strict=True):
                found[key] = feats
                if cache is not None and augment:
                    cache.put(key, feats)
            computed += len(owners)
        done += len(chunk)
        if progress:
            progress(done, total)
    kept = [(p, k) for p, k in zip(paths, keys, strict=True) if k]
    stacked = (np.stack([found[k] for _, k in kept]) if kept
               else np.zeros((0, views, backbone.dim), np.float32))
    return EmbeddedImages([p for p, _ in kept], [k for _, k in kept], stacked, computed, skipped)


def check_backbone(path: Path) -> int:
    """Setup's self-test: the ONNX backbone loads, its feature maps can be tapped, and a batch
    of 2 gives (2, D) finite head features."""
    backbone = Backbone(path, threads=1)
    images = [np.full((240, 320, 3), value, np.uint8) for value in (40, 200)]
    features = backbone.embed(images)
    if features.shape != (2, backbone.dim) or not np.isfinite(features).all():
        print(f"backbone check failed: features {features.shape}", file=sys.stderr)
        return 1
    print(f"backbone check: {path} → features {features.shape[1]}-d, batch dimension dynamic")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="check the exported classification backbone")
    parser.add_argument("--check", type=Path, default=None, help="backbone ONNX file (default: model cache)")
    args = parser.parse_args(argv)
    return check_backbone(args.check if args.check is not None else backbone_path())


if __name__ == "__main__":
    cv2.setNumThreads(1)
    sys.exit(main())
