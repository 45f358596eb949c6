"""Person boxes on many frames of Debian opencv-doc's vtest.avi, for bench/tune.py: frames of
the first part of the video to tune on, frames of the later part to score on.

    .venv/bin/python bench/data/vtest_people.py --make      # (re)write vtest_people.json
    .venv/bin/python bench/data/vtest_people.py --check     # compare with the hand-checked frames
    .venv/bin/python bench/data/vtest_people.py --overlay DIR FRAME...   # PNGs to look at

How the boxes were made (semi-automatic, see `about` in the JSON): the float 416 default
detector on every frame upscaled 2x and cut into overlapping 416 px tiles (people become
160-260 px tall, the size the model finds best), plus 1x tiles for the nearest people;
detections touching an inner tile edge are dropped (the same person is whole in a
neighbouring tile), the rest merged by NMS; persons kept from score 0.35 and at least 30 px
tall. `--check` scores these boxes against the 19 hand-checked vtest frames of
`detect_ground_truth.json`; overlays of frames were looked at by eye (see bench/tune.py's
docstring for what was found). Frames are regenerated from the package; none is committed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from detect_ground_truth import load_ground_truth, video_frames  # noqa: E402

from roost.detect.decode import decode_yolov3, nms  # noqa: E402

PEOPLE = HERE / "vtest_people.json"
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
WIDTH, HEIGHT = 768, 576
#: First part (tune): every 2nd frame of 0-499; later part (score): every 6th of 560-794.
TRAIN_FRAMES = tuple(range(0, 500, 2))
EVAL_FRAMES = tuple(range(560, 795, 6))
TILE = 416
MIN_SCORE = 0.35
MIN_HEIGHT = 30
EDGE = 3  # px: a box this close to an inner tile edge was cut by the tile
PERSON = 0
STATIC_FRAMES = 40
CONTAINED = 0.85
PART_HEIGHT = 0.6

RGB = npt.NDArray[np.uint8]


def teacher() -> Any:
    import onnxruntime as ort  # type: ignore[import-untyped]

    from roost.detect.anchors import anchors_from_metadata
    from roost.paths import model_cache_dir

    path = model_cache_dir() / "detector" / "yolov3-tiny-416.onnx"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session, anchors_from_metadata(session.get_modelmeta().custom_metadata_map)


def tiles(length: int, stride: int) -> list[int]:
    starts = list(range(0, max(length - TILE, 0) + 1, stride))
    if starts[-1] + TILE < length:
        starts.append(length - TILE)
    return starts


def boxes_at_scale(model: Any, rgb: RGB, scale: float, stride: int) -> list[list[float]]:
    session, anchors = model
    image = np.asarray(cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8)
    height, width = image.shape[:2]
    rows: list[list[float]] = []
    for y in tiles(height, stride):
        for x in tiles(width, stride):
            tile = image[y:y + TILE, x:x + TILE]
            tensor = np.ascontiguousarray((tile.astype(np.float32) / 255.0).transpose(2, 0, 1)[None])
            found = decode_yolov3(session.run(None, {"images": tensor}), anchors, TILE, threshold=0.25)
            for class_id, score, x1, y1, x2, y2 in found.tolist():
                if int(class_id) != PERSON:
                    continue
                box = [x1 * TILE, y1 * TILE, x2 * TILE, y2 * TILE]
                cut = ((box[0] < EDGE and x > 0) or (box[1] < EDGE and y > 0)
                       or (box[2] > TILE - EDGE and x + TILE < width) or (box[3] > TILE - EDGE and y + TILE < height))
                if not cut:
                    rows.append([0, score, (box[0] + x) / scale, (box[1] + y) / scale,
                                 (box[2] + x) / scale, (box[3] + y) / scale])
    return rows


def people(model: Any, rgb: RGB) -> list[list[int]]:
    """Person boxes `x1, y1, x2, y2` (image pixels, whole) on one frame."""
    rows = boxes_at_scale(model, rgb, 1.5, 200) + boxes_at_scale(model, rgb, 1.0, 160)
    if not rows:
        return []
    table = np.asarray(rows, np.float32)
    table[:, 2:] /= np.array([WIDTH, HEIGHT, WIDTH, HEIGHT], np.float32)
    kept = nms(table, 0.5, 100)
    kept[:, 2:] *= np.array([WIDTH, HEIGHT, WIDTH, HEIGHT], np.float32)
    result = []
    for _, score, x1, y1, x2, y2 in kept.tolist():
        if score >= MIN_SCORE and y2 - y1 >= MIN_HEIGHT:
            result.append([max(round(x1), 0), max(round(y1), 0), min(round(x2), WIDTH), min(round(y2), HEIGHT)])
    return sorted(result)


def cleaned(frames: dict[str, list[list[int]]]) -> tuple[dict[str, list[list[int]]], dict[str, int]]:
    """What looking at the overlays found wrong, fixed by rule: a box at one place in at least
    `STATIC_FRAMES` frames is a thing, not a walker (the blue sign at the top left, 29,110
    50,143, was a "person" in 130 frames); a box mostly inside a taller one on the same frame
    and under `PART_HEIGHT` of its height is a part of that person (head and shoulders)."""
    from roost.detect.regions import pairwise_iou

    every = [(k, b) for k, v in frames.items() for b in v]
    boxes = np.array([b for _, b in every], np.float64).reshape(-1, 4)
    static = (pairwise_iou(boxes, boxes) >= 0.8).sum(axis=1) >= STATIC_FRAMES
    removed = {"static": int(static.sum()), "part": 0}
    result: dict[str, list[list[int]]] = {k: [] for k in frames}
    keep = {(k, tuple(b)) for (k, b), s in zip(every, static) if not s}
    for key, items in frames.items():
        items = [b for b in items if (key, tuple(b)) in keep]
        for box in items:
            area = (box[2] - box[0]) * (box[3] - box[1])
            part = False
            for other in items:
                inside = max(min(box[2], other[2]) - max(box[0], other[0]), 0) * \
                    max(min(box[3], other[3]) - max(box[1], other[1]), 0)
                if other is not box and inside >= CONTAINED * area and \
                        box[3] - box[1] < PART_HEIGHT * (other[3] - other[1]):
                    part = True
            removed["part"] += part
            if not part:
                result[key].append(box)
    return result, removed


def load_people(path: Path = PEOPLE) -> dict[int, list[list[int]]]:
    """`{frame index: [[x1, y1, x2, y2], ...]}` person boxes."""
    document = json.loads(path.read_text())
    return {int(k): v for k, v in document["frames"].items()}


def make(reuse: bool = False) -> None:
    frames: dict[str, list[list[int]]] = {}
    if reuse:  # the detector's boxes as last stored (they include what the rules removed)
        frames = {k: [list(b) for b in v] for k, v in json.loads(PEOPLE.read_text())["raw_frames"].items()}
    else:
        model = teacher()
        for index, rgb in video_frames(VTEST, TRAIN_FRAMES + EVAL_FRAMES, WIDTH, HEIGHT):
            frames[str(index)] = people(model, rgb)
            if index % 50 == 0:
                print(f"frame {index}: {len(frames[str(index)])} people", flush=True)
    raw = frames
    frames, removed = cleaned(frames)
    print(f"removed after inspection: {removed}")
    about = __doc__.split("\n\n")[2].replace("\n", " ") + f" Removed by the inspection rules: {removed}."
    PEOPLE.write_text(json.dumps({"about": about, "video": VTEST, "width": WIDTH, "height": HEIGHT,
                                  "train_frames": list(TRAIN_FRAMES), "eval_frames": list(EVAL_FRAMES),
                                  "frames": frames, "raw_frames": raw}, indent=0))
    print(f"wrote {PEOPLE}: {len(frames)} frames, {sum(len(v) for v in frames.values())} people")


def check() -> None:
    """The automatic boxes against the hand-checked frames: matched / missed / extra."""
    from roost.detect.regions import pairwise_iou

    model = teacher()
    truth = [t for t in load_ground_truth() if t.video_frame is not None]
    pictures = dict(video_frames(VTEST, [t.video_frame or 0 for t in truth], WIDTH, HEIGHT))
    matched = missed = extra = 0
    ious: list[float] = []
    for item in truth:
        gt = np.array([b for lab, b in item.boxes if lab == "person" and b[3] - b[1] >= MIN_HEIGHT]).reshape(-1, 4)
        auto = np.array(people(model, pictures[item.video_frame or 0]), np.float64).reshape(-1, 4)
        iou = pairwise_iou(auto, gt) if len(auto) and len(gt) else np.zeros((len(auto), len(gt)))
        hits = iou.max(axis=0) >= 0.5 if len(auto) else np.zeros(len(gt), bool)
        matched += int(hits.sum())
        missed += int((~hits).sum())
        extra += int((iou.max(axis=1) < 0.5).sum()) if len(gt) else len(auto)
        ious += iou.max(axis=0)[hits].tolist() if len(auto) else []
        print(f"frame {item.video_frame}: {len(gt)} hand boxes, {len(auto)} automatic, {int(hits.sum())} matched")
    print(f"hand-checked frames: {matched} matched, {missed} missed, {extra} extra; mean IoU {np.mean(ious):.3f}")


def overlay(folder: Path, indices: list[int]) -> None:
    boxes = load_people()
    folder.mkdir(parents=True, exist_ok=True)
    for index, rgb in video_frames(VTEST, indices, WIDTH, HEIGHT):
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        for x1, y1, x2, y2 in boxes.get(index, []):
            cv2.rectangle(bgr, (x1, y1), (x2 - 1, y2 - 1), (0, 0, 255), 1)
        cv2.putText(bgr, str(index), (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 2)
        cv2.imwrite(str(folder / f"{index:04d}.png"), bgr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--make", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="with --make: re-apply the rules to the stored boxes")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--overlay", nargs="+", metavar=("DIR", "FRAME"))
    args = parser.parse_args()
    if args.make:
        make(args.reuse)
    if args.check:
        check()
    if args.overlay:
        overlay(Path(args.overlay[0]), [int(v) for v in args.overlay[1:]])


if __name__ == "__main__":
    main()
