"""Would a factorized default detector be cheaper at the same quality? Measured: no.

    .venv/bin/python bench/detect_factorized.py [--variants mild,middle,strong]

Inference is two thirds of a busy camera's CPU (`bench/pipeline.py`), and YOLOv3-tiny's
large 3x3 convolutions already run at the int8 peak of the CPU, so a cheaper detector means
fewer multiply-adds. This bench tries the one way to get them without training data:
replace a convolution `W` by two, a 3x3 one into `r` channels and a 1x1 one back out,
with the `r` directions its outputs mostly vary along (principal components of the float
model's outputs on unlabelled footage; `y ~ mu + P P^T (W x + b - mu)`). Their outputs keep
95-98 % of the variance at a quarter to a third of the channels, while the weights
themselves are not low-rank (a quarter of `W`'s singular values keep 68 % of its energy).

The components are fitted on crops of vtest.avi (the int8 calibration footage), Megamind.avi,
tree.avi and scikit-image photographs (not the astronaut or camera, which are ground
truth). Fitted on vtest alone they kept 82-87 % of the variance on the other sources: a
basis from one scene does not carry to others.

Per variant (which layers, which rank), each model re-quantized as setup does
(`roost.detect.prepare_default.quantize`), against today's int8 model:
- `ms_per_region`: one thread, batches of 2, models in alternating rounds, median round;
- ground truth: `bench/detect_quality.py --model-cache ... --models "320 int8"` on a cache
  holding the variant (its AP@0.5 for persons through the pipeline and on full frames, its mean IoU);
- `heldout_f1_vs_float`: agreement with today's float 320 model, every label, on views of
  the opencv-doc images none of the fitting used (people, bicycles, fruit, street scenes):
  detections of the same label with IoU >= 0.5 count as agreeing. This is what a user's
  camera, unlike the ground truth's plaza, would see.

Measured 2026-12-04 (this machine, today's int8 model 11.0 ms a region; held out: 330 views,
42 detections of the float model): the mild variant runs in 0.85 of the time, the strong
one in 0.74; pipeline AP stays (0.797 today; 0.80-0.84) and full-frame AP about holds
(0.616; 0.59-0.62), but mean IoU drops (0.786; 0.77), and on the held-out pictures they
agree with the float model far less than today's int8 model does (F1 0.864; 0.74, 0.62,
0.49): what they lose is what the fitting footage did not show. Not used by Roost.

Last line: one JSON object, per model (`current`, then each variant) its `ms_per_region`,
`ratio_vs_current`, `ap50_person_pipeline`, `ap50_person_full_frame`, `mean_iou_person` and
`heldout_f1_vs_float`, keys prefixed with the model's name.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from roost.config.services import DetectorConfig, ModelConfig  # noqa: E402
from roost.detect.onnx_detector import OnnxDetector  # noqa: E402
from roost.detect.prepare_default import (  # noqa: E402
    QUANTIZED_SIZE, calibration_images, quantize, square_crops, to_tensor,
)
from roost.detect.regions import pairwise_iou  # noqa: E402
from roost.ffmpeg import ffmpeg_binary  # noqa: E402
from roost.paths import model_cache_dir  # noqa: E402

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
SIZE = QUANTIZED_SIZE
#: Layer (the converter's node name) -> rank. The 3x3 convolutions with the most
#: multiply-adds at 320: n18 512->1024 at 10x10 (29 % of the model), n29 384->256 at 20x20
#: (21 %), n15 and n22 (7 % each).
VARIANTS: dict[str, dict[str, int]] = {
    "mild": {"n18_Conv": 384, "n29_Conv": 160},
    "middle": {"n18_Conv": 320, "n29_Conv": 160, "n22_Conv": 192, "n15_Conv": 256},
    "strong": {"n18_Conv": 256, "n29_Conv": 128, "n22_Conv": 128, "n15_Conv": 192},
}
FIT_PHOTOS = ("chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "coins", "page",
              "horse", "cat", "retina")
HELD_OUT = ("messi5.jpg", "basketball1.png", "basketball2.png", "licenseplate_motion.jpg", "aero1.jpg",
            "aero3.jpg", "home.jpg", "building.jpg", "leuvenA.jpg", "leuvenB.jpg", "squirrel_cls.jpg",
            "butterfly.jpg", "HappyFish.jpg", "baboon.jpg", "fruits.jpg", "orange.jpg", "apple.jpg", "stuff.jpg",
            "box_in_scene.png", "left01.jpg", "pic1.png", "pic3.png")
AGREE_SCORE = 0.3
AGREE_IOU = 0.5
RGB = npt.NDArray[np.uint8]


def video_frames(path: Path, fps: float) -> list[RGB]:
    raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-i", str(path), "-vf", f"fps={fps}", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "pipe:"], capture_output=True, check=True).stdout
    probe = cv2.VideoCapture(str(path))
    width, height = int(probe.get(cv2.CAP_PROP_FRAME_WIDTH)), int(probe.get(cv2.CAP_PROP_FRAME_HEIGHT))
    probe.release()
    return list(np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3))


def fitting_images() -> list[RGB]:
    from skimage import data  # test dependency

    photos = []
    for name in FIT_PHOTOS:
        image = np.asarray(getattr(data, name)())
        image = np.stack([image] * 3, -1) if image.ndim == 2 else image[..., :3]
        photos.append(np.asarray(image, np.uint8))
    return [*calibration_images(SIZE, 96), *square_crops(video_frames(DATA / "Megamind.avi", 1), 48, SIZE, 1),
            *square_crops(video_frames(DATA / "tree.avi", 1), 24, SIZE, 2), *square_crops(photos, 52, SIZE, 3)]


def square_views(picture: RGB) -> Iterator[RGB]:
    """The whole picture and 14 squares of it (padded, at the model size)."""
    height, width = picture.shape[:2]
    side = min(height, width)
    half = side // 2
    views = [picture, picture[:side, :side], picture[height - side:, width - side:]]
    views += [picture[y:y + half, x:x + half] for y in (0, height // 4, height - half)
              for x in (0, width // 4, width // 2, width - half)]
    for view in views:
        longest = max(view.shape[:2])
        canvas = np.full((longest, longest, 3), 114, np.uint8)
        canvas[:view.shape[0], :view.shape[1]] = view
        yield np.asarray(cv2.resize(canvas, (SIZE, SIZE)), np.uint8)


def held_out_views() -> list[RGB]:
    views: list[RGB] = []
    for name in HELD_OUT:
        image = cv2.imread(str(DATA / name))
        if image is not None:
            views += square_views(np.ascontiguousarray(image[..., ::-1]))
    return views


def layer_outputs(model: onnx.ModelProto, names: Sequence[str], images: Sequence[RGB]) -> dict[str, np.ndarray]:
    """Each named tensor over `images`, as (positions, channels) rows."""
    import onnxruntime as ort  # type: ignore[import-untyped]

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in names:
        probe.graph.output.append(helper.make_empty_tensor_value_info(name))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    rows: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for image in images:
        for name, value in zip(names, session.run(list(names), {"images": to_tensor(image)})):
            rows[name].append(value[0].reshape(value.shape[1], -1).T.astype(np.float64))
    return {name: np.concatenate(parts) for name, parts in rows.items()}


def factorized(model: onnx.ModelProto, ranks: dict[str, int], images: Sequence[RGB]) -> onnx.ModelProto:
    """`model` with each convolution named in `ranks` replaced by a 3x3 conv into its
    outputs' leading principal components and a 1x1 conv back."""
    nodes = {node.name: node for node in model.graph.node}
    missing = sorted(set(ranks) - set(nodes))
    if missing:
        raise SystemExit(f"no such convolution in the model: {missing}")
    outputs = layer_outputs(model, [nodes[name].output[0] for name in ranks], images)
    weights = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    result = onnx.ModelProto()
    result.CopyFrom(model)
    replaced: list[onnx.NodeProto] = []
    for node in model.graph.node:
        if node.name not in ranks:
            replaced.append(node)
            continue
        y = outputs[node.output[0]]
        mean = y.mean(axis=0)
        values, vectors = np.linalg.eigh((y - mean).T @ (y - mean))
        basis = vectors[:, ::-1][:, :ranks[node.name]]
        kept = values[::-1][:ranks[node.name]].sum() / values.sum()
        w, b = weights[node.input[1]].astype(np.float64), weights[node.input[2]].astype(np.float64)
        out_channels, rank = w.shape[0], basis.shape[1]
        print(f"  {node.name}: {w.shape[1]} -> {out_channels} channels through {rank} ({kept:.1%} of the "
              f"output variance on the fitting images)", flush=True)
        arrays = {"a_w": (basis.T @ w.reshape(out_channels, -1)).reshape(rank, *w.shape[1:]),
                  "a_b": basis.T @ (b - mean), "b_w": basis.reshape(out_channels, rank, 1, 1), "b_b": mean}
        for key, array in arrays.items():
            result.graph.initializer.append(numpy_helper.from_array(array.astype(np.float32), f"{node.name}_{key}"))
        narrow = f"{node.output[0]}_narrow"
        first = helper.make_node("Conv", [node.input[0], f"{node.name}_a_w", f"{node.name}_a_b"], [narrow],
                                 name=f"{node.name}_a")
        first.attribute.extend(node.attribute)
        replaced += [first, helper.make_node("Conv", [narrow, f"{node.name}_b_w", f"{node.name}_b_b"],
                                             [node.output[0]], name=f"{node.name}_b", kernel_shape=[1, 1])]
    del result.graph.node[:]
    result.graph.node.extend(replaced)
    used = {name for node in result.graph.node for name in node.input}
    kept_inits = [init for init in result.graph.initializer if init.name in used]
    del result.graph.initializer[:]
    result.graph.initializer.extend(kept_inits)
    return result


def variant_cache(current: Path, root: Path, name: str, ranks: dict[str, int], images: Sequence[RGB]) -> Path:
    """A model cache like `current` whose 320 float and int8 models are the variant's."""
    detector = root / name / "detector"
    detector.mkdir(parents=True)
    for kept in ("yolov3-tiny-416.onnx", "labelmap.txt"):
        shutil.copyfile(current / "detector" / kept, detector / kept)
    onnx.save(factorized(onnx.load(str(current / "detector" / f"yolov3-tiny-{SIZE}.onnx")), ranks, images),
              str(detector / f"yolov3-tiny-{SIZE}.onnx"))
    quantize(detector / f"yolov3-tiny-{SIZE}.onnx", detector / f"yolov3-tiny-{SIZE}-int8.onnx", SIZE)
    return root / name


def detector(path: Path) -> OnnxDetector:
    config = ModelConfig(path=str(path), model_type="yolov3", input_tensor="nchw", input_dtype="float",
                         width=SIZE, height=SIZE)
    return OnnxDetector(config, DetectorConfig(num_threads=1), model_cache_dir())


def ms_per_region(paths: dict[str, Path], rounds: int = 6, calls: int = 15) -> dict[str, float]:
    """Median over alternating rounds of one thread's time a region, batches of 2."""
    runners = {name: detector(path) for name, path in paths.items()}
    batch = calibration_images(SIZE, 2)
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, runner in runners.items():
            runner.detect_batch(batch)
            started = time.perf_counter()
            for _ in range(calls):
                runner.detect_batch(batch)
            times[name].append((time.perf_counter() - started) / calls / len(batch) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def agreement_f1(reference: list[np.ndarray], found: list[np.ndarray]) -> float:
    """F1 of `found` against `reference` detections (per view; same label, IoU >= 0.5, greedy)."""
    agree = extra = missed = 0
    for ref, got in zip(reference, found):
        for label in set(ref[:, 0].tolist()) | set(got[:, 0].tolist()):
            a, b = ref[ref[:, 0] == label][:, 2:], got[got[:, 0] == label][:, 2:]
            iou = pairwise_iou(a, b) if len(a) and len(b) else np.zeros((len(a), len(b)))
            matched = 0
            while iou.size and iou.max() >= AGREE_IOU:
                i, j = np.unravel_index(int(iou.argmax()), iou.shape)
                iou[i, :], iou[:, j] = -1.0, -1.0
                matched += 1
            agree, missed, extra = agree + matched, missed + len(a) - matched, extra + len(b) - matched
    return 2 * agree / max(2 * agree + extra + missed, 1)


def quality(cache: Path) -> dict[str, float]:
    script = Path(__file__).resolve().parent / "detect_quality.py"
    run = subprocess.run([sys.executable, str(script), "--model-cache", str(cache), "--models", "320 int8"],
                         capture_output=True, text=True, check=True)
    scores: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {sorted(VARIANTS)}")
    args = parser.parse_args()
    chosen = [name for name in args.variants.split(",") if name]
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {sorted(VARIANTS)}")
    current = model_cache_dir()
    images = fitting_images()
    views = held_out_views()
    print(f"fitting on {len(images)} crops; held out: {len(views)} views of {len(HELD_OUT)} opencv-doc images",
          flush=True)
    with tempfile.TemporaryDirectory() as root:
        caches = {"current": current}
        for name in chosen:
            print(f"{name}: {VARIANTS[name]}", flush=True)
            caches[name] = variant_cache(current, Path(root), name, VARIANTS[name], images)
        int8 = {name: cache / "detector" / f"yolov3-tiny-{SIZE}-int8.onnx" for name, cache in caches.items()}
        speed = ms_per_region(int8)
        float_model = detector(current / "detector" / f"yolov3-tiny-{SIZE}.onnx")
        reference = [float_model.detect(view, AGREE_SCORE) for view in views]
        print(f"held out: {sum(len(r) for r in reference)} detections of today's float model "
              f"(score >= {AGREE_SCORE})", flush=True)
        figures: dict[str, float] = {}
        for name, path in int8.items():
            runner = detector(path)
            f1 = agreement_f1(reference, [runner.detect(view, AGREE_SCORE) for view in views])
            scores = quality(caches[name])
            row = {"ms_per_region": round(speed[name], 2), "ratio_vs_current": round(speed[name] / speed["current"], 3),
                   "ap50_person_pipeline": scores["ap50_person_pipeline"],
                   "ap50_person_full_frame": scores["ap50_person_full_frame"],
                   "mean_iou_person": scores["mean_iou_person"], "heldout_f1_vs_float": round(f1, 3)}
            print(f"{name:>8}: " + ", ".join(f"{key} {value}" for key, value in row.items()), flush=True)
            figures.update({f"{name}_{key}": value for key, value in row.items()})
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
