"""The server-side steps of a tune, each run as a child process of the server's own Python
(`roost.tune.runner` runs them around the torch child), printing JSON progress lines:

    python -m roost.tune.job prepare WORK/request.json   # frames → .npy + the torch job
    python -m roost.tune.job finish WORK/request.json    # int8, AP base vs tuned, report

`request.json` (written by the runner, `TuneRequest.write`): `name`, `size`, `labels` (the
base model's, then `new_labels`), `base_model` (the default int8 detector, scored as the
base), `base_float` (the float model tuned from), `train` / `held_out` frames (`id`,
`image`, `frame_time`, `boxes`: `[label, x1, y1, x2, y2]` image pixels), `settings`,
`work_dir`, `output_dir`.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from roost.tune.average_precision import mean_ap
from roost.tune.files import LABELMAP_FILE, MODEL_FILE, REPORT_FILE
from roost.tune.evaluate import detector_for, load_rgb, score_model, square_view

#: Calibration views for the int8 model, from the training frames.
CALIBRATION_VIEWS = 48
FLOAT_MODEL = "tuned-float.onnx"


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def prepare(request: dict[str, Any]) -> Path:
    """Decode every training frame once into an RGB `.npy` the torch child maps, and write
    its job file (class indices instead of label names)."""
    work = Path(request["work_dir"])
    labels = list(request["labels"])
    frames = []
    for index, frame in enumerate(request["train"]):
        target = work / f"frame-{index:05d}.npy"
        np.save(target, load_rgb(Path(frame["image"])))
        frames.append({"image": str(target),
                       "boxes": [[labels.index(b[0]), *b[1:]] for b in frame["boxes"] if b[0] in labels]})
        emit(stage="preparing", step=index + 1, steps=len(request["train"]))
    job = {**request["settings"], "base_model": request["base_float"], "size": request["size"], "labels": labels,
           "frames": frames, "output": str(work / FLOAT_MODEL)}
    path = work / "job.json"
    path.write_text(json.dumps(job))
    emit(stage="prepared", message=f"{len(frames)} frames ready", peak_rss_mb=peak_rss_mb())
    return path


def calibration_views(request: dict[str, Any]) -> list[Any]:
    frames = request["train"]
    step = max(1, len(frames) // CALIBRATION_VIEWS)
    return [square_view(load_rgb(Path(f["image"])), int(request["size"]))[0] for f in frames[::step]]


def held_out_truth(request: dict[str, Any]) -> list[tuple[Any, list[tuple[str, tuple[float, float, float, float]]]]]:
    return [(load_rgb(Path(f["image"])), [(b[0], (float(b[1]), float(b[2]), float(b[3]), float(b[4])))
                                           for b in f["boxes"]]) for f in request["held_out"]]


def finish(request: dict[str, Any], tune_seconds: float) -> dict[str, Any]:
    """Quantize the tuned float model, score base and tuned on the held-out frames, and move
    model, labelmap and report into `output_dir` (complete or not at all)."""
    from roost.detect.prepare_default import quantize

    work, output = Path(request["work_dir"]), Path(request["output_dir"])
    size = int(request["size"])
    emit(stage="quantizing", message="int8, calibrated on the training frames")
    quantize(work / FLOAT_MODEL, work / MODEL_FILE, size, calibration_views(request))
    (work / LABELMAP_FILE).write_text("".join(f"{label}\n" for label in request["labels"]))
    emit(stage="scoring", message=f"AP@0.5 on {len(request['held_out'])} held-out frames")
    truth = held_out_truth(request)
    labels = sorted({label for _, boxes in truth for label, _ in boxes})
    cache = Path(request["model_cache"])
    base = score_model(detector_for(Path(request["base_model"]), size, cache), truth, labels)
    tuned = score_model(detector_for(work / MODEL_FILE, size, cache), truth, labels)
    counts = {label: sum(1 for _, boxes in truth for lab, _ in boxes if lab == label) for label in labels}
    report = {
        "name": request["name"], "created": time.time(), "size": size,
        "model": str(output / MODEL_FILE), "labelmap": str(output / LABELMAP_FILE),
        "base_model": request["base_model"], "labels": request["labels"], "new_labels": request["new_labels"],
        "frames": {"train": len(request["train"]), "held_out": len(request["held_out"])},
        "held_out_span": [request["held_out"][0]["frame_time"], request["held_out"][-1]["frame_time"]]
        if request["held_out"] else None,
        "held_out_boxes": counts,
        "ap50": {"base": base, "tuned": tuned},
        "map50": {"base": mean_ap(base), "tuned": mean_ap(tuned)},
        "tune_seconds": round(tune_seconds, 1), "settings": request["settings"],
        "train_ids": [f["id"] for f in request["train"]], "held_out_ids": [f["id"] for f in request["held_out"]],
    }
    (work / REPORT_FILE).write_text(json.dumps(report, indent=1))
    staging = output.with_name(f".{output.name}.part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in (MODEL_FILE, LABELMAP_FILE, REPORT_FILE):
        shutil.move(str(work / name), str(staging / name))
    os.replace(staging, output)
    emit(stage="finished", message="report written", peak_rss_mb=peak_rss_mb())
    return report


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in ("prepare", "finish"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    request = json.loads(Path(sys.argv[2]).read_text())
    try:
        if sys.argv[1] == "prepare":
            prepare(request)
        else:
            finish(request, float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
    except Exception as error:  # the runner reads this line; the traceback goes to stderr
        import traceback

        traceback.print_exc()
        emit(stage="failed", message=f"{type(error).__name__}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
