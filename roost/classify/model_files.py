"""The model-cache layout that training writes and run-time classification reads.

    model_cache/<model>/model.onnx      input `input` float32 (N, 3, S, S) → outputs
                                        `probabilities` (N, C) and `features` (N, 1280)
    model_cache/<model>/labelmap.txt    one class name per line, in output order
    model_cache/<model>/metadata.json   preprocessing, classes, image counts, date, metrics
    model_cache/backbone/efficientnet_lite0_features.onnx   the frozen backbone (setup)

Both halves go through this module, and the image → tensor step is one function driven by
the model's own `metadata.json` (`preprocess`), so training and inference can never
disagree about size, channel order or normalisation. Nothing here imports torch.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]

from roost.paths import model_cache_dir

logger = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
LABELMAP_FILE = "labelmap.txt"
METADATA_FILE = "metadata.json"
BACKBONE_DIR = "backbone"
BACKBONE_FILE = "efficientnet_lite0_features.onnx"
BACKBONE_NAME = "efficientnet_lite0"
FEATURE_DIM = 1280
INPUT_NAME = "input"
PROBABILITIES_OUTPUT = "probabilities"
FEATURES_OUTPUT = "features"
METADATA_FORMAT = 1
#: The class every object model has: "not one of mine"; never assigned at run time.
NONE_CLASS = "none"

MODEL_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
CLASS_NAME_PATTERN = re.compile(r"[A-Za-z0-9_ -]+")
MAX_NAME_LENGTH = 64
#: Folder names under model_cache/ that belong to Roost, not to a custom classifier.
RESERVED_MODEL_NAMES = frozenset({BACKBONE_DIR, "detector"})


class InvalidNameError(ValueError):
    """A model or class name that is not allowed as a folder name."""


class ModelNotTrainedError(FileNotFoundError):
    """`model_cache/<model>/` has no complete model yet (the model is listed as untrained)."""


def validate_model_name(name: str) -> str:
    """Return `name` if it is a safe folder name: letters, digits, `_` and `-` only."""
    if not isinstance(name, str) or not MODEL_NAME_PATTERN.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"model name {name!r}: expected 1–{MAX_NAME_LENGTH} characters of A–Z, a–z, 0–9, '_' or '-' "
            "(no '.', '/', '..' or spaces)")
    if name in RESERVED_MODEL_NAMES:
        raise InvalidNameError(f"model name {name!r} is reserved for Roost's own models")
    return name


def validate_class_name(name: str) -> str:
    """Return `name` if it is a valid class: letters, digits, `_`, `-` and inner spaces."""
    if (not isinstance(name, str) or not CLASS_NAME_PATTERN.fullmatch(name)
            or name != name.strip() or len(name) > MAX_NAME_LENGTH):
        raise InvalidNameError(
            f"class name {name!r}: expected 1–{MAX_NAME_LENGTH} characters of A–Z, a–z, 0–9, '_', '-' "
            "or spaces (not leading or trailing)")
    return name


def model_dir(model: str, model_cache: Path | None = None) -> Path:
    """`model_cache/<model>/` after validating the name (the only way to build that path)."""
    return (model_cache if model_cache is not None else model_cache_dir()) / validate_model_name(model)


def backbone_path(model_cache: Path | None = None) -> Path:
    """Where setup writes the frozen EfficientNet-Lite0 feature extractor."""
    return (model_cache if model_cache is not None else model_cache_dir()) / BACKBONE_DIR / BACKBONE_FILE


@dataclass(frozen=True)
class ModelPaths:
    """The three files of one trained classifier."""

    root: Path

    @property
    def model(self) -> Path:
        return self.root / MODEL_FILE

    @property
    def labelmap(self) -> Path:
        return self.root / LABELMAP_FILE

    @property
    def metadata(self) -> Path:
        return self.root / METADATA_FILE

    def is_complete(self) -> bool:
        return self.model.is_file() and self.labelmap.is_file() and self.metadata.is_file()


def model_paths(model: str, model_cache: Path | None = None) -> ModelPaths:
    return ModelPaths(model_dir(model, model_cache))


@dataclass(frozen=True)
class Preprocessing:
    """How an RGB uint8 crop becomes the model's input tensor.

    The crop is resized (aspect ratio not kept) to `size`×`size` with `interpolation`,
    put in `channel_order`, converted to float32 as `(pixel - mean) * scale`, and laid
    out NCHW. Defaults are EfficientNet-Lite's: RGB, 224, `(x - 127) / 128`.
    """

    size: int = 224
    mean: tuple[float, float, float] = (127.0, 127.0, 127.0)
    scale: float = 1.0 / 128.0
    channel_order: str = "RGB"
    layout: str = "NCHW"
    interpolation: str = "area"

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "mean": list(self.mean), "scale": self.scale,
                "channel_order": self.channel_order, "layout": self.layout,
                "interpolation": self.interpolation}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        try:
            mean = tuple(float(v) for v in data["mean"])
            prep = cls(size=int(data["size"]), mean=(mean[0], mean[1], mean[2]), scale=float(data["scale"]),
                       channel_order=str(data["channel_order"]), layout=str(data["layout"]),
                       interpolation=str(data.get("interpolation", "area")))
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise ValueError(f"metadata.json preprocessing: invalid or missing field ({error})") from error
        if prep.channel_order not in ("RGB", "BGR") or prep.layout not in ("NCHW", "NHWC"):
            raise ValueError(f"metadata.json preprocessing: unsupported channel_order/layout "
                             f"{prep.channel_order}/{prep.layout}")
        if prep.interpolation not in _INTERPOLATIONS or prep.size < 8:
            raise ValueError(f"metadata.json preprocessing: unsupported interpolation {prep.interpolation!r} "
                             f"or size {prep.size}")
        return prep


_INTERPOLATIONS = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}


def preprocess(images: np.ndarray | list[np.ndarray], prep: Preprocessing = Preprocessing()) -> np.ndarray:
    """RGB uint8 image(s) (H, W, 3) or a list of them → float32 tensor (N, 3, S, S) (or NHWC).

    Pure function of its inputs; the single place where training and inference turn pixels
    into numbers.
    """
    batch = [images] if isinstance(images, np.ndarray) and images.ndim == 3 else list(images)
    out = np.empty((len(batch), prep.size, prep.size, 3), dtype=np.float32)
    flag = _INTERPOLATIONS[prep.interpolation]
    for i, image in enumerate(batch):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"preprocess: expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        resized = cv2.resize(image, (prep.size, prep.size), interpolation=flag)
        out[i] = resized if prep.channel_order == "RGB" else resized[:, :, ::-1]
    out -= np.asarray(prep.mean, dtype=np.float32)
    out *= np.float32(prep.scale)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2)) if prep.layout == "NCHW" else out


def read_rgb(path: Path) -> np.ndarray | None:
    """Decode an image file (png/jpg/webp/...) to RGB uint8 (H, W, 3); None if it is not one."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as error:
        logger.warning("cannot read image %s: %s", path, error)
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        return None
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_labelmap(path: Path) -> list[str]:
    labels = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for label in labels:
        validate_class_name(label)
    return labels


def labelmap_text(labels: list[str]) -> str:
    """labelmap.txt contents: one validated class name per line, in model output order."""
    return "".join(f"{validate_class_name(label)}\n" for label in labels)


def read_metadata(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def session_options(threads: int = 1) -> ort.SessionOptions:
    """CPU session options: `threads` intra-op threads, no inter-op pool (we batch instead)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


@dataclass
class LoadedModel:
    """A trained classifier ready to run: session, class labels, and its preprocessing."""

    name: str
    session: ort.InferenceSession
    labels: list[str]
    preprocessing: Preprocessing
    metadata: dict[str, Any] = field(default_factory=dict)
    mtime: float = 0.0

    def run(self, images: np.ndarray | list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """RGB uint8 crop(s) → (probabilities (N, C) in labelmap order, features (N, 1280))."""
        tensor = preprocess(images, self.preprocessing)
        probabilities, features = self.session.run([PROBABILITIES_OUTPUT, FEATURES_OUTPUT], {INPUT_NAME: tensor})
        return np.asarray(probabilities), np.asarray(features)

    def predict(self, images: np.ndarray | list[np.ndarray]) -> np.ndarray:
        """RGB uint8 crop(s) → class probabilities (N, C), columns in `labels` order."""
        tensor = preprocess(images, self.preprocessing)
        return np.asarray(self.session.run([PROBABILITIES_OUTPUT], {INPUT_NAME: tensor})[0])


def check_model_matches_labels(session: ort.InferenceSession, labels: list[str], where: str) -> None:
    """Raise ValueError unless the session has our input/outputs and one probability per label."""
    inputs = {i.name for i in session.get_inputs()}
    outputs = {o.name: o.shape for o in session.get_outputs()}
    if INPUT_NAME not in inputs or PROBABILITIES_OUTPUT not in outputs:
        raise ValueError(f"{where}: model needs input '{INPUT_NAME}' and output '{PROBABILITIES_OUTPUT}', "
                         f"has inputs {sorted(inputs)} and outputs {sorted(outputs)}")
    width = outputs[PROBABILITIES_OUTPUT][-1]
    if not isinstance(width, int) or width != len(labels):
        raise ValueError(f"{where}: model outputs {width} classes but labelmap has {len(labels)} ({labels})")
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"{where}: labelmap needs at least 2 distinct classes, has {labels}")


def load_model(model: str, model_cache: Path | None = None, threads: int = 1) -> LoadedModel:
    """Load `model_cache/<model>/` for inference; ModelNotTrainedError when it is not there yet.

    Reload when `model.onnx`'s mtime changes (training writes labelmap and metadata first
    and replaces model.onnx last).
    """
    paths = model_paths(model, model_cache)
    if not paths.is_complete():
        raise ModelNotTrainedError(f"classification model {model!r} is not trained yet "
                                   f"(no complete {MODEL_FILE}/{LABELMAP_FILE}/{METADATA_FILE} in {paths.root})")
    mtime = paths.model.stat().st_mtime
    labels = read_labelmap(paths.labelmap)
    metadata = read_metadata(paths.metadata)
    prep = Preprocessing.from_dict(metadata.get("preprocessing", {}))
    session = ort.InferenceSession(str(paths.model), sess_options=session_options(threads),
                                   providers=["CPUExecutionProvider"])
    check_model_matches_labels(session, labels, str(paths.root))
    logger.debug("loaded classification model %s: classes %s", model, labels)
    return LoadedModel(model, session, labels, prep, metadata, mtime)
