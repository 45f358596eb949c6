"""Training in a child process, with progress the API, websocket and MQTT can subscribe to.

Each run is a `multiprocessing` *spawn* child (a fresh interpreter: no inherited threads,
sockets or model sessions from the server), so its memory goes back to the system when
it ends. The child sends `TrainingProgress` reports over a queue; a reader thread in the
parent keeps the latest one and calls every subscriber with each. The final report has
state `complete` (with the metadata summary in `result`) or `failed` (with the reason),
also when the child dies without saying anything.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from roost.classify.model_files import validate_model_name
from roost.train.dataset import DatasetError
from roost.train.pipeline import TrainingProgress, TrainingRequest, train_model

logger = logging.getLogger(__name__)

STATE_TRAINING = "training"
STATE_COMPLETE = "complete"
STATE_FAILED = "failed"
#: How often the reader thread checks whether a silent child is still alive (seconds).
POLL_SECONDS = 0.2
#: Training is background work: the child runs at this `nice` increment so live
#: detection and recording keep their CPU share while a model trains.
TRAINING_NICENESS = 10

Subscriber = Callable[[TrainingProgress], None]


class TrainingInProgressError(RuntimeError):
    """A second training of the same model was requested while one runs."""


def _child_main(request: TrainingRequest, reports: Any, log_level: int) -> None:
    """Entry point of the spawned child: train, report, never raise (the parent reads the queue)."""
    logging.basicConfig(level=log_level, format="%(asctime)s [%(levelname)-7s] %(name)s: %(message)s")
    try:
        os.nice(TRAINING_NICENESS)
    except OSError as error:
        logging.getLogger(__name__).debug("could not lower training priority: %s", error)
    try:
        result = train_model(request, report=reports.put)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        summary = result["comparison"]["message"]
        reports.put(TrainingProgress(request.model, STATE_COMPLETE, "done", result["training_image_count"],
                                     result["training_image_count"], summary, result))
    except (DatasetError, FileNotFoundError, ValueError) as error:
        reports.put(TrainingProgress(request.model, STATE_FAILED, "done", message=str(error)))
    except Exception as error:  # the child must always report; the parent logs it as a failure
        logging.getLogger(__name__).exception("training %s failed", request.model)
        reports.put(TrainingProgress(request.model, STATE_FAILED, "done", message=f"{type(error).__name__}: {error}"))


class TrainingRun:
    """One training child process. `subscribe` callbacks run on the reader thread."""

    def __init__(self, request: TrainingRequest, subscribers: list[Subscriber] | None = None) -> None:
        validate_model_name(request.model)
        self.request = request
        self._subscribers = list(subscribers or [])
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self.latest = TrainingProgress(request.model, STATE_TRAINING, "starting")
        context = multiprocessing.get_context("spawn")
        self._queue: Any = context.Queue()
        self._process = context.Process(target=_child_main, name=f"roost-train-{request.model}",
                                        args=(request, self._queue, logging.getLogger("roost").getEffectiveLevel()),
                                        daemon=True)
        self._reader = threading.Thread(target=self._read, name=f"train-reader-{request.model}", daemon=True)
        self.started_at: float | None = None
        self.finished_at: float | None = None

    def start(self) -> TrainingRun:
        self.started_at = time.monotonic()
        self._publish(self.latest)
        self._process.start()
        self._reader.start()
        return self

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback` with every later report (and once now with the latest)."""
        with self._lock:
            self._subscribers.append(callback)
            latest = self.latest
        callback(latest)

    @property
    def state(self) -> str:
        return self.latest.state

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def elapsed_seconds(self) -> float | None:
        """Wall seconds from start to the final report (so far, while training)."""
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return round(end - self.started_at, 2)

    def wait(self, timeout: float | None = None) -> TrainingProgress:
        """Block until complete/failed (or `timeout` seconds); returns the latest report."""
        self._finished.wait(timeout)
        return self.latest

    def _publish(self, report: TrainingProgress) -> None:
        with self._lock:
            self.latest = report
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(report)
            except Exception:  # one broken subscriber must not stop progress for the others
                logger.exception("training progress subscriber %r failed", callback)

    def _read(self) -> None:
        while True:
            try:
                report: TrainingProgress = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self._process.is_alive():
                    self._fail_silently_dead()
                    return
                continue
            if report.state == STATE_TRAINING:
                self._publish(report)
                continue
            self._finish(report)
            self._process.join(timeout=10)
            if report.state == STATE_FAILED:
                logger.warning("training %s failed: %s", self.request.model, report.message)
            return

    def _finish(self, report: TrainingProgress) -> None:
        """Mark the run done *before* telling subscribers, so whoever reacts to `complete`
        (a page that retrains at once) is not refused with "already training" while the
        child process is still exiting."""
        with self._lock:
            self.latest = report
            self.finished_at = time.monotonic()
            self._finished.set()
        self._publish(report)

    def _fail_silently_dead(self) -> None:
        try:  # a report may have arrived between the timeout and the liveness check
            while True:
                report = self._queue.get_nowait()
                if report.state != STATE_TRAINING:
                    self._finish(report)
                    return
                self._publish(report)
        except queue.Empty:
            pass
        code = self._process.exitcode
        message = f"training process exited with code {code} before finishing"
        logger.error("training %s: %s", self.request.model, message)
        self._finish(replace(self.latest, state=STATE_FAILED, stage="done", message=message))


class Trainer:
    """Starts training runs, one at a time per model, and remembers the last run of each.

    The API's POST `classification/<m>/train` calls `start`; its status route, the
    websocket (`model_state`) and MQTT subscribe with `subscribe` (all models) or on the
    returned run.
    """

    def __init__(self) -> None:
        self._runs: dict[str, TrainingRun] = {}
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> None:
        """Receive the reports of every run started after this call."""
        with self._lock:
            self._subscribers.append(callback)

    def start(self, request: TrainingRequest) -> TrainingRun:
        with self._lock:
            current = self._runs.get(request.model)
            if current is not None and not current.done():
                raise TrainingInProgressError(f"model {request.model!r} is already training")
            run = TrainingRun(request, self._subscribers)
            self._runs[request.model] = run
        return run.start()

    def status(self, model: str) -> TrainingProgress | None:
        """Latest report of the model's last run in this process (None: never trained here)."""
        run = self.run(model)
        return run.latest if run is not None else None

    def run(self, model: str) -> TrainingRun | None:
        """The model's last run in this process (None: never trained here)."""
        with self._lock:
            return self._runs.get(model)
