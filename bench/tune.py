"""Tuning the default detector on verified frames of real footage, and what it gains.

    .venv/bin/python bench/tune.py [--sizes 50 200]

Footage: Debian opencv-doc's vtest.avi (768x576, 10 fps, 795 frames; a fixed camera over a
walkway). Person boxes: `bench/data/vtest_people.json` (how they were made and checked:
`bench/data/vtest_people.py`). Frames 0-398 (every 2nd) are the first part, to tune on;
frames 560-794 (every 6th, 40 frames) the later part, to score on.

For each size (50 = every 4th of the 200, spread over the same span; 200): a fresh
annotation store (real SQLite, the frames as stored JPEGs, every box verified) and model
cache, then the product's own tune (`roost.tune.runner`: rules, time split, the three child
processes, int8, report) on 2 threads, timed from start to report. Then the default
detector (320 int8) and the tuned model are scored on the later frames, each frame seen
whole (`roost.tune.evaluate`): AP@0.5 for `person`; also on the 6 hand-checked later
frames of `bench/data/detect_ground_truth.json` (560-760) as a check on the automatic boxes.

Last line JSON: `tune_s_50`, `tune_s_200` (wall s), `peak_rss_mb` (largest process:
this one or a tune child), `map50_base`, `map50_tuned` (the 200-frame model), `map50_gain`,
plus `map50_tuned_50`, `map50_base_hand`, `map50_tuned_hand`.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "data"))

from detect_ground_truth import load_ground_truth, video_frames  # noqa: E402
from vtest_people import HEIGHT, VTEST, WIDTH, load_people  # noqa: E402

from roost.annotate.frames import AnnotationBox  # noqa: E402
from roost.annotate.store import AnnotationStore, encode_frame, verified_frames  # noqa: E402
from roost.paths import model_cache_dir  # noqa: E402
from roost.store import Database, database_url  # noqa: E402
from roost.tune.evaluate import detector_for, score_model  # noqa: E402
from roost.tune.runner import TuneSettings, Tuner, build_request  # noqa: E402

SIZE = 320
TRAIN_SPAN = tuple(range(0, 400, 2))
EVAL_FRAMES = tuple(range(560, 795, 6))
BASE_TIME = 1_700_000_000.0
FPS = 10


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seeded_store(folder: Path, frames: dict[int, Any], people: dict[int, list[list[int]]],
                 indices: list[int]) -> tuple[Database, Path]:
    media = folder / "media"
    database = Database(database_url(None, None, media))
    database.migrate()
    store = AnnotationStore(database, media / "clips")
    for index in indices:
        bgr = cv2.cvtColor(frames[index], cv2.COLOR_RGB2BGR)
        boxes = [AnnotationBox("person", (b[0], b[1], b[2], b[3])) for b in people[index]]
        store.add(encode_frame(bgr), WIDTH, HEIGHT, frame_time=BASE_TIME + index / FPS, source="import",
                  camera="vtest", boxes=boxes, verified=True)
    return database, media / "clips"


def model_cache_for(folder: Path, real: Path) -> Path:
    cache = folder / "model_cache"
    cache.mkdir()
    (cache / "detector").symlink_to(real / "detector")
    return cache


def person_ap(model: Path, cache: Path, frames: list[tuple[Any, list[tuple[str, Any]]]]) -> float:
    ap = score_model(detector_for(model, SIZE, cache, threads=2), frames, ["person"])["person"]
    return float(ap or 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    defaults = TuneSettings()
    for name in ("epochs", "views", "depth", "learning_rate", "max_crops", "smallest_view"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(getattr(defaults, name)),
                            default=getattr(defaults, name), help="tune setting (default: the product's)")
    args = parser.parse_args()
    settings = TuneSettings(epochs=args.epochs, views=args.views, depth=args.depth, learning_rate=args.learning_rate,
                            max_crops=args.max_crops, smallest_view=args.smallest_view)
    real_cache = model_cache_dir()
    people = load_people()
    started = time.perf_counter()
    wanted = sorted(set(TRAIN_SPAN) | set(EVAL_FRAMES))
    frames = dict(video_frames(VTEST, wanted, WIDTH, HEIGHT))
    later = [(frames[i], [("person", tuple(b)) for b in people[i]]) for i in EVAL_FRAMES]
    hand = [t for t in load_ground_truth() if t.video_frame is not None and (t.video_frame or 0) >= EVAL_FRAMES[0]]
    hand_frames = dict(video_frames(VTEST, [t.video_frame or 0 for t in hand], WIDTH, HEIGHT))
    hand_truth = [(hand_frames[t.video_frame or 0], [(lab, b) for lab, b in t.boxes if lab == "person"]) for t in hand]
    print(f"vtest.avi: {len(TRAIN_SPAN)} first-part frames ({sum(len(people[i]) for i in TRAIN_SPAN)} people), "
          f"{len(EVAL_FRAMES)} later frames ({sum(len(people[i]) for i in EVAL_FRAMES)} people), "
          f"{len(hand)} hand-checked later frames; decoded in {time.perf_counter() - started:.1f} s", flush=True)
    base_model = real_cache / "detector" / f"yolov3-tiny-{SIZE}-int8.onnx"
    base = person_ap(base_model, real_cache, later)
    base_hand = person_ap(base_model, real_cache, hand_truth)
    print(f"base (default 320 int8): AP@0.5 person {base:.3f} on the later frames, {base_hand:.3f} hand-checked",
          flush=True)
    figures: dict[str, Any] = {}
    peak = own_peak_mb()
    for size in args.sizes:
        indices = list(TRAIN_SPAN[::max(1, len(TRAIN_SPAN) // size)])[:size]
        with tempfile.TemporaryDirectory(prefix="roost-bench-tune-") as folder:
            database, clips = seeded_store(Path(folder), frames, people, indices)
            cache = model_cache_for(Path(folder), real_cache)
            tuner = Tuner()
            tuner.subscribe(lambda p: p.stage == "training" and print(
                f"  {p.stage} step {p.step}/{p.steps} ({p.elapsed_seconds} s)", flush=True))
            clock = time.perf_counter()
            request = build_request(verified_frames(database, clips), cache, SIZE, settings)
            print(f"tune on {size} frames ({len(request['train'])} train, {len(request['held_out'])} held out; "
                  f"settings {request['settings']})", flush=True)
            tuner.start(request)
            result = tuner.wait()
            seconds = time.perf_counter() - clock
            if result.state != "complete" or result.report is None:
                raise SystemExit(f"tune on {size} frames failed: {result.message}")
            report = result.report
            tuned = person_ap(Path(report["model"]), cache, later)
            tuned_hand = person_ap(Path(report["model"]), cache, hand_truth)
            peak = max(peak, result.peak_rss_mb or 0.0, own_peak_mb())
            print(f"tuned on {size}: {seconds:.0f} s, children peak {result.peak_rss_mb} MB; held-out report "
                  f"{json.dumps(report['ap50'])}; later frames AP@0.5 person {tuned:.3f} (base {base:.3f}, "
                  f"gain {tuned - base:+.3f}); hand-checked {tuned_hand:.3f} (base {base_hand:.3f})", flush=True)
            figures[size] = {"seconds": seconds, "tuned": tuned, "tuned_hand": tuned_hand}
            database.close()
    last = figures[max(figures)]
    print(f"done in {time.perf_counter() - started:.0f} s", flush=True)
    print(json.dumps({"tune_s_50": round(figures[50]["seconds"], 1) if 50 in figures else None,
                      "tune_s_200": round(figures[200]["seconds"], 1) if 200 in figures else None,
                      "peak_rss_mb": round(peak, 1), "map50_base": round(base, 3),
                      "map50_tuned": round(last["tuned"], 3), "map50_gain": round(last["tuned"] - base, 3),
                      "map50_tuned_50": round(figures[50]["tuned"], 3) if 50 in figures else None,
                      "map50_base_hand": round(base_hand, 3), "map50_tuned_hand": round(last["tuned_hand"], 3)}))


if __name__ == "__main__":
    main()
