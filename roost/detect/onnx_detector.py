"""Loading a detection model with ONNX Runtime from Frigate's `model:` section and running
it on one region (`RegionDetector` of `roost.track.camera`).

With no `model.path`, the default YOLOv3-tiny that setup converted into the model cache is
used (`detector/yolov3-tiny-<size>-int8.onnx`, else the float one); it takes NCHW float RGB
in 0..1 whatever the `input_*` keys say, since those describe a user's own model.

A model Roost made itself (a tuned detector, `roost.tune`) says what it is in its metadata
(`roost.model_type`, `roost.input`) and has its `labelmap.txt` beside it, so `model.path`
alone selects it: keys the user did not set come from the model, keys the user set win.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]

from roost.config.services import DetectorConfig, ModelConfig
from roost.detect.anchors import MASKS_METADATA, YOLO_HEADS_METADATA, anchors_from_metadata
from roost.detect.decode import EMPTY, SCORE_THRESHOLD, decode_ssd, decode_yolo_table, decode_yolov3

logger = logging.getLogger(__name__)

DETECTOR_DIR = "detector"
DEFAULT_LABELMAP = "labelmap.txt"
#: Metadata of models Roost made: the Frigate `model_type`, and `"<tensor> <dtype> <pixel format>"`.
MODEL_TYPE_METADATA = "roost.model_type"
INPUT_METADATA = "roost.input"
#: ONNX Runtime optimizers a model of Roost's asks to be loaded without (comma-separated;
#: `roost.detect.prepare_default.STEM_DISABLED_OPTIMIZERS` says why).
DISABLED_OPTIMIZERS_METADATA = "roost.ort_disabled_optimizers"


class ModelMissingError(RuntimeError):
    pass


def default_model_path(model_cache: Path, size: int) -> Path:
    for name in (f"yolov3-tiny-{size}-int8.onnx", f"yolov3-tiny-{size}.onnx"):
        path = model_cache / DETECTOR_DIR / name
        if path.is_file():
            return path
    raise ModelMissingError(
        f"default detector model for size {size} not found in {model_cache / DETECTOR_DIR}; "
        "run `make setup` (scripts/prepare-detector.sh converts it), or set model.path")


def load_labelmap(path: Path) -> list[str]:
    """One label per line, or Frigate's `<id> <label>` lines (gaps become their number)."""
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    numbered = [line.split(maxsplit=1) for line in lines]
    if numbered and all(len(p) == 2 and p[0].isdigit() for p in numbered):
        by_id = {int(p[0]): p[1] for p in numbered}
        return [by_id.get(i, str(i)) for i in range(max(by_id) + 1)]
    return lines


def labelmap_file(model: ModelConfig, model_cache: Path) -> Path:
    """`labelmap_path`; else, for a `model.path` with a `labelmap.txt` beside it (a tuned
    detector), that one; else the default detector's COCO names."""
    if model.labelmap_path:
        return Path(model.labelmap_path)
    if model.path and (Path(model.path).parent / DEFAULT_LABELMAP).is_file():
        return Path(model.path).parent / DEFAULT_LABELMAP
    return model_cache / DETECTOR_DIR / DEFAULT_LABELMAP


def model_labels(model: ModelConfig, model_cache: Path) -> list[str]:
    """The model's labels (`labelmap_file`), with `model.labelmap` overrides applied by index."""
    path = labelmap_file(model, model_cache)
    labels = load_labelmap(path) if path.is_file() else []
    for index, name in model.labelmap.items():
        while len(labels) <= index:
            labels.append(str(len(labels)))
        labels[index] = name
    return labels


def model_type_of(model: ModelConfig) -> str:
    """The model type the detector runs `model` as, for `/api/config` (Home Assistant and the
    UI read it): the user's `model_type`; else what a Roost-made model's metadata says (a tuned
    detector is a yolov3 without the key set); else Frigate's default."""
    path = Path(model.path) if model.path else None
    if path is None or "model_type" in model.model_fields_set or not path.is_file():
        return model.model_type_resolved
    meta = file_metadata(path)
    if meta is None:  # unreadable: the detector reports it when it loads the file
        logger.warning("model.path %s: metadata not readable", path)
        return model.model_type_resolved
    converted = MASKS_METADATA in meta or YOLO_HEADS_METADATA in meta
    return meta.get(MODEL_TYPE_METADATA) or ("yolov3" if converted else model.model_type_resolved)


def file_metadata(path: Path) -> dict[str, str] | None:
    """An ONNX file's metadata (`metadata_props`), read without external weight data; None
    when onnx cannot read the file (ONNX Runtime's own error then says what is wrong)."""
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception:  # any unreadable file
        return None
    return {entry.key: entry.value for entry in proto.metadata_props}


def disabled_optimizers(meta: Mapping[str, str]) -> list[str]:
    """The ONNX Runtime optimizers a model's metadata asks to leave out.

    >>> disabled_optimizers({DISABLED_OPTIMIZERS_METADATA: "QDQPropagationTransformer, ConstantFolding"})
    ['QDQPropagationTransformer', 'ConstantFolding']
    >>> disabled_optimizers({})
    []
    """
    return [name.strip() for name in meta.get(DISABLED_OPTIMIZERS_METADATA, "").split(",") if name.strip()]


def providers_for(detector: DetectorConfig) -> list[str]:
    available = ort.get_available_providers()
    wanted = {"cpu": [], "onnx": ["CUDAExecutionProvider", "OpenVINOExecutionProvider"],
              "openvino": ["OpenVINOExecutionProvider"]}.get(detector.type, [])
    chosen = [p for p in wanted if p in available]
    if wanted and not chosen:
        logger.warning("detector type %s: none of %s is installed; running on the CPU", detector.type, wanted)
    return [*chosen, "CPUExecutionProvider"]


class OnnxDetector:
    """`detect(rgb)` → `(N, 6)` float32 `class_id, score, x1, y1, x2, y2` normalized to the
    region; `rgb` is `(model_size, model_size, 3)` uint8 (resized here when the model is
    not square)."""

    def __init__(self, model: ModelConfig, detector: DetectorConfig, model_cache: Path) -> None:
        self.config = model
        if model.path is None:
            path = default_model_path(model_cache, model.width)
            self.tensor, self.pixel_format, self.dtype = "nchw", "rgb", "float"
            self.model_type = "yolov3"
        else:
            path = Path(model.path)
            self.tensor, self.pixel_format, self.dtype = model.input_tensor, model.input_pixel_format, model.input_dtype
            self.model_type = model.model_type_resolved
        if not path.is_file():
            raise ModelMissingError(f"model.path: {path} does not exist")
        self.labels = model_labels(model, model_cache)
        options = ort.SessionOptions()
        options.intra_op_num_threads = detector.num_threads
        options.inter_op_num_threads = 1
        file_meta = file_metadata(path)
        self.session = ort.InferenceSession(str(path), options, providers=providers_for(detector),
                                            disabled_optimizers=disabled_optimizers(file_meta or {}))
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        #: A model whose batch dimension is open runs a frame's regions in one call;
        #: others (most users' own models) one region a call.
        self.batches = self.tensor == "nchw" and self.model_type == "yolov3" and not isinstance(model_input.shape[0], int)
        self.width, self.height = model.width, model.height
        self.model_size = max(self.width, self.height)
        meta = file_meta if file_meta is not None else self.session.get_modelmeta().custom_metadata_map
        if model.path is not None:
            self._describe_from_metadata(model, meta)
        self.anchors = anchors_from_metadata(meta)
        if self.model_type == "yolov3" and not self.anchors:
            raise ModelMissingError(f"{path}: a yolov3 model needs its anchors in metadata '{YOLO_HEADS_METADATA}'")
        if self.model_type == "yolov3" and model.path is None and MASKS_METADATA not in meta:
            logger.warning("%s was converted before anchor masks were stored and may size objects wrongly "
                           "(people at half height); re-run scripts/prepare-detector.sh", path)
        self.path = path
        self.inference_ms = 0.0
        logger.info("detector model %s (%s, %dx%d, %s)", path, self.model_type, self.width, self.height,
                    self.session.get_providers()[0])

    def _describe_from_metadata(self, model: ModelConfig, meta: dict[str, str]) -> None:
        """What a Roost-made model says about itself, for the `model:` keys left unset. A
        model of Roost's converter (anchors in its metadata, `roost.detect.anchors`) that
        predates these keys is a yolov3 taking NCHW float RGB."""
        chosen = model.model_fields_set
        converted = MASKS_METADATA in meta or YOLO_HEADS_METADATA in meta
        model_type = meta.get(MODEL_TYPE_METADATA) or ("yolov3" if converted else None)
        if model_type and "model_type" not in chosen:
            self.model_type = model_type
        parts = (meta.get(INPUT_METADATA) or ("nchw float rgb" if converted else "")).split()
        if len(parts) == 3:
            tensor, dtype, pixel_format = parts
            self.tensor = self.tensor if "input_tensor" in chosen else tensor
            self.dtype = self.dtype if "input_dtype" in chosen else dtype
            self.pixel_format = self.pixel_format if "input_pixel_format" in chosen else pixel_format

    def tensor_for(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.generic]:
        image = rgb
        if image.shape[0] != self.height or image.shape[1] != self.width:
            image = np.asarray(cv2.resize(image, (self.width, self.height)), np.uint8)
        if self.pixel_format == "bgr":
            image = image[..., ::-1]
        elif self.pixel_format == "yuv":
            image = np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2YUV), np.uint8)
        data: npt.NDArray[np.generic]
        if self.dtype == "float":
            data = image.astype(np.float32) / 255.0
        elif self.dtype == "float_denorm":
            data = image.astype(np.float32)
        else:
            data = image
        if self.tensor == "nchw":
            data = data.transpose(2, 0, 1)
        return np.ascontiguousarray(data[None])

    def detect(self, rgb: npt.NDArray[np.uint8], threshold: float = SCORE_THRESHOLD) -> npt.NDArray[np.float32]:
        """`threshold`: the lowest score reported (lower for scoring a model's AP; yolov3 only)."""
        started = time.perf_counter()
        outputs = self.session.run(None, {self.input_name: self.tensor_for(rgb)})
        self.inference_ms = (time.perf_counter() - started) * 1000
        return self._decode(outputs, threshold)

    def detect_batch(self, rgbs: Sequence[npt.NDArray[np.uint8]]) -> list[npt.NDArray[np.float32]]:
        """`detect` of each region, in one model call when the model takes a batch;
        `inference_ms` is then the call's time per region."""
        if not self.batches or len(rgbs) < 2:
            return [self.detect(rgb) for rgb in rgbs]
        started = time.perf_counter()
        batch = np.concatenate([self.tensor_for(rgb) for rgb in rgbs])
        outputs = self.session.run(None, {self.input_name: batch})
        self.inference_ms = (time.perf_counter() - started) * 1000 / len(rgbs)
        return [self._decode([output[index:index + 1] for output in outputs]) for index in range(len(rgbs))]

    def _decode(self, outputs: Sequence[npt.NDArray[np.float32]],
                threshold: float = SCORE_THRESHOLD) -> npt.NDArray[np.float32]:
        if self.model_type == "yolov3":
            return decode_yolov3(outputs, self.anchors, self.model_size, threshold)
        if self.model_type == "ssd":
            return decode_ssd(outputs)
        if self.model_type in ("yolox", "yolo-generic", "yolonas", "rfdetr", "dfine"):
            return decode_yolo_table(outputs[0], self.width, self.height, max(len(self.labels), 1))
        return EMPTY
