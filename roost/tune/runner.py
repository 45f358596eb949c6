"""Running a tune: checks the rules, splits the verified frames by time, then runs three
child processes one after another — `roost.tune.job prepare` (server Python), the torch
child `roost.tune.train_torch` (tune virtualenv's Python), `roost.tune.job finish` (server
Python) — at low priority, reading their JSON progress lines. The server never imports
torch; each child's memory goes back to the system when it ends. One tune at a time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from roost.annotate.frames import AnnotationFrame
from roost.detect.onnx_detector import DEFAULT_LABELMAP, DETECTOR_DIR, default_model_path, load_labelmap
from roost.paths import data_dir
from roost.tune.files import last_model_frame_ids, tuned_model, tuned_root
from roost.tune.rules import refusal, tune_counts
from roost.tune.split import split_by_time

logger = logging.getLogger(__name__)

STATE_IDLE, STATE_TUNING, STATE_COMPLETE, STATE_FAILED, STATE_CANCELLED = (
    "idle", "tuning", "complete", "failed", "cancelled")
TUNE_NICENESS = 10
STDERR_TAIL = 1500


@dataclass(frozen=True)
class TuneSettings:
    """How hard the torch child trains. `views` training views in all (spread over the
    frames, `min_crops`..`max_crops` each), `epochs` passes over them."""

    epochs: int = 12
    views: int = 360
    min_crops: int = 2
    max_crops: int = 8
    depth: int = 2
    learning_rate: float = 3e-4
    smallest_view: float = 0.45
    seed: int = 0
    threads: int = 2

    def job(self, frames: int) -> dict[str, Any]:
        crops = min(max(round(self.views / max(frames, 1)), self.min_crops), self.max_crops)
        return {"epochs": self.epochs, "crops_per_frame": crops, "depth": self.depth,
                "learning_rate": self.learning_rate, "smallest_view": self.smallest_view, "seed": self.seed, "threads": self.threads}


@dataclass(frozen=True)
class TuneProgress:
    state: str
    stage: str = ""
    step: int = 0
    steps: int = 0
    message: str = ""
    name: str | None = None
    started: float | None = None
    elapsed_seconds: float | None = None
    report: dict[str, Any] | None = None
    peak_rss_mb: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class TuneRefusedError(ValueError):
    """The rules say no (too few verified frames, or too few new ones), or a tune runs."""


def tune_python() -> Path:
    """`ROOST_TUNE_PYTHON`, else the tune virtualenv made by scripts/prepare-tune.sh."""
    value = os.environ.get("ROOST_TUNE_PYTHON")
    if value:
        return Path(value)
    venv = Path(os.environ.get("ROOST_TUNE_VENV") or data_dir() / ".cache" / "tune-venv")
    return venv / "bin" / "python"


def _boxes(frame: AnnotationFrame) -> list[list[Any]]:
    return [[b.label, *b.box] for b in frame.boxes]


def build_request(frames: Sequence[AnnotationFrame], model_cache: Path, size: int, settings: TuneSettings,
                  name: str | None = None) -> dict[str, Any]:
    """The request the children read (`roost.tune.job`'s docstring); refuses by the rules."""
    problem = refusal(tune_counts([f.id for f in frames], last_model_frame_ids(model_cache)))
    if problem:
        raise TuneRefusedError(problem)
    base_labels = load_labelmap(model_cache / DETECTOR_DIR / DEFAULT_LABELMAP)
    new_labels = sorted({b.label for f in frames for b in f.boxes} - set(base_labels))
    train, held_out = split_by_time(frames)
    name = name or time.strftime("%Y%m%d-%H%M%S")
    target = tuned_model(model_cache, name)
    if target.folder.exists():
        raise TuneRefusedError(f"a tuned model named {name} already exists")
    work = tuned_root(model_cache) / f".work-{name}"

    def entry(frame: AnnotationFrame) -> dict[str, Any]:
        return {"id": frame.id, "image": str(frame.image_path), "frame_time": frame.frame_time,
                "boxes": _boxes(frame)}
    return {"name": name, "size": size, "labels": [*base_labels, *new_labels], "new_labels": new_labels,
            "base_model": str(default_model_path(model_cache, size)),
            "base_float": str(model_cache / DETECTOR_DIR / f"yolov3-tiny-{size}.onnx"),
            "train": [entry(f) for f in train], "held_out": [entry(f) for f in held_out],
            "settings": settings.job(len(train)), "work_dir": str(work), "output_dir": str(target.folder),
            "model_cache": str(model_cache)}


Subscriber = Callable[[TuneProgress], None]


@dataclass
class TuneRun:
    request: dict[str, Any]
    latest: TuneProgress
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    process: subprocess.Popen[str] | None = None


class Tuner:
    """Starts tunes (one at a time) and keeps the latest progress for the API and websocket."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._run: TuneRun | None = None
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._subscribers.append(callback)

    def progress(self) -> TuneProgress:
        with self._lock:
            return self._run.latest if self._run is not None else TuneProgress(STATE_IDLE)

    def running(self) -> bool:
        with self._lock:
            return self._run is not None and not self._run.done.is_set()

    def start(self, request: dict[str, Any]) -> TuneRun:
        with self._lock:
            if self._run is not None and not self._run.done.is_set():
                raise TuneRefusedError("a tune is already running; wait for it to finish")
            run = TuneRun(request, TuneProgress(STATE_TUNING, "starting", name=request["name"], started=time.time()))
            self._run = run
        threading.Thread(target=self._work, args=(run,), name=f"tune-{request['name']}", daemon=True).start()
        self._publish(run, run.latest)
        return run

    def cancel(self) -> bool:
        """Stop the running tune (its child is killed; nothing is written to the model cache).
        False when none runs."""
        with self._lock:
            run = self._run
            if run is None or run.done.is_set():
                return False
            run.cancelled.set()
            process = run.process
        if process is not None and process.poll() is None:
            process.kill()
        return True

    def wait(self, timeout: float | None = None) -> TuneProgress:
        with self._lock:
            run = self._run
        if run is not None:
            run.done.wait(timeout)
        return self.progress()

    def _publish(self, run: TuneRun, progress: TuneProgress) -> None:
        with self._lock:
            run.latest = progress
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(progress)
            except Exception:  # one broken subscriber must not stop the others
                logger.exception("tune progress subscriber %r failed", callback)

    def _work(self, run: TuneRun) -> None:
        request = run.request
        work = Path(request["work_dir"])
        started = time.monotonic()
        peaks: list[float] = []
        try:
            work.mkdir(parents=True, exist_ok=True)
            request_path = work / "request.json"
            request_path.write_text(json.dumps(request))
            here = [sys.executable, "-m", "roost.tune.job"]
            self._child(run, "prepare", [*here, "prepare", str(request_path)], work, peaks, started)
            python = tune_python()
            if not python.is_file():
                raise RuntimeError(f"the tune virtualenv is missing ({python}): run scripts/prepare-tune.sh "
                                   "(make setup does)")
            self._child(run, "train", [str(python), "-m", "roost.tune.train_torch", str(work / "job.json")], work,
                        peaks, started)
            tune_seconds = time.monotonic() - started
            self._child(run, "finish", [*here, "finish", str(request_path), f"{tune_seconds:.1f}"], work, peaks,
                        started)
            report = tuned_model(Path(request["model_cache"]), request["name"]).report()
            final = TuneProgress(STATE_COMPLETE, "done", message="tuned", name=request["name"],
                                 started=run.latest.started, elapsed_seconds=round(time.monotonic() - started, 1),
                                 report=report, peak_rss_mb=max(peaks, default=None))
            logger.info("tuned detector %s in %.0f s", request["name"], time.monotonic() - started)
        except Exception as error:
            if run.cancelled.is_set():
                logger.info("tune %s cancelled", request["name"])
                final = replace(run.latest, state=STATE_CANCELLED, stage="done", message="cancelled",
                                elapsed_seconds=round(time.monotonic() - started, 1))
            else:
                logger.warning("tune %s failed: %s", request["name"], error)
                final = replace(run.latest, state=STATE_FAILED, stage="done", message=str(error),
                                elapsed_seconds=round(time.monotonic() - started, 1))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self._publish(run, final)
        run.done.set()

    def _child(self, run: TuneRun, step: str, command: list[str], work: Path, peaks: list[float],
               started: float) -> None:
        """Run one step, publishing each progress line; raises with the child's words on failure."""
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        stderr_path = work / f"stderr-{step}.txt"
        failure = None
        if run.cancelled.is_set():
            raise RuntimeError("cancelled")
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(["nice", "-n", str(TUNE_NICENESS), *command], stdout=subprocess.PIPE,
                                       stderr=stderr, env=env, text=True)
            with self._lock:
                run.process = process
            if run.cancelled.is_set():  # cancelled while this child started
                process.kill()
            assert process.stdout is not None
            for line in process.stdout:
                try:
                    fields = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(fields, dict):
                    continue
                if fields.get("stage") == "failed":
                    failure = str(fields.get("message"))
                if "peak_rss_mb" in fields:
                    peaks.append(float(fields["peak_rss_mb"]))
                self._publish(run, TuneProgress(
                    STATE_TUNING, str(fields.get("stage", "")), int(fields.get("step", 0)),
                    int(fields.get("steps", 0)), str(fields.get("message", "")), run.latest.name, run.latest.started,
                    round(time.monotonic() - started, 1)))
            code = process.wait()
        if run.cancelled.is_set():
            raise RuntimeError("cancelled")
        if code != 0 or failure:
            tail = stderr_path.read_text(errors="replace")[-STDERR_TAIL:]
            logger.warning("tune step %s failed (exit %s): %s", step, code, tail)
            raise RuntimeError(failure or f"tune step {step} exited with code {code}")
