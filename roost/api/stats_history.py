"""The last hour of the figures the System page charts, sampled on the server so a page
opened now still shows the hour before it: `GET /api/stats/history`.

One sampler per `ApiContext` (both listeners share it), started by the first app's
lifespan and stopped by the last; a sample is small (a few numbers per camera, detector
and process), 360 of them an hour."""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from roost.api.context import ApiContext
from roost.api.params import Ctx

logger = logging.getLogger(__name__)

router = APIRouter(tags=["service"])

SAMPLE_EVERY_S = 10.0
KEEP_S = 3600.0
CAMERA_FIGURES = ("camera_fps", "process_fps", "skipped_fps", "detection_fps")


def process_names(stats: dict[str, Any]) -> dict[str, str]:
    """pid (as in `cpu_usages`) → what the process is: "capture yard", "ffmpeg yard",
    "camera yard", "detector cpu"; pids not named by the stats are the main process."""
    names: dict[str, str] = {}
    for camera, figures in stats.get("cameras", {}).items():
        for key, role in (("capture_pid", "capture"), ("pid", "camera"), ("ffmpeg_pid", "ffmpeg")):
            if figures.get(key):
                names[str(figures[key])] = f"{role} {camera}"
    for detector, figures in stats.get("detectors", {}).items():
        if figures.get("pid"):
            names[str(figures["pid"])] = f"detector {detector}"
    return names


def sample_of(stats: dict[str, Any], now: float) -> dict[str, Any]:
    """The charted part of one stats JSON: {t, cameras: {cam: [4 fps]}, detectors: {name:
    ms}, processes: {name: [cpu %, mem %]}}."""
    names = process_names(stats)
    processes: dict[str, list[float]] = {}
    for pid, usage in stats.get("cpu_usages", {}).items():
        name = names.get(pid, "roost (main)")
        try:
            processes[name] = [float(usage["cpu"]), float(usage["mem"])]
        except (KeyError, TypeError, ValueError):
            continue
    return {
        "t": round(now, 1),
        "cameras": {cam: [float(f.get(k, 0.0)) for k in CAMERA_FIGURES] for cam, f in stats.get("cameras", {}).items()},
        "detectors": {name: float(d.get("inference_speed", 0.0)) for name, d in stats.get("detectors", {}).items()},
        "processes": processes,
    }


class StatsHistory:
    def __init__(self, context: ApiContext, every_s: float = SAMPLE_EVERY_S, keep_s: float = KEEP_S) -> None:
        self.context = context
        self.every_s = every_s
        self.samples: collections.deque[dict[str, Any]] = collections.deque(maxlen=max(1, int(keep_s / every_s)))
        self._users = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="stats-history", daemon=True)
                self._thread.start()

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            thread = self._thread if self._users <= 0 else None
            if thread is not None:
                self._thread = None
                self._stop.set()
        if thread is not None:
            thread.join(2)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(sample_of(self.context.stats(), time.time()))
            except Exception:
                logger.exception("stats history: sampling failed")
            self._stop.wait(self.every_s)

    def since(self, after: float) -> list[dict[str, Any]]:
        return [s for s in list(self.samples) if s["t"] >= after]


_histories: dict[int, StatsHistory] = {}
_histories_lock = threading.Lock()


def history_of(context: ApiContext) -> StatsHistory:
    with _histories_lock:
        history = _histories.get(id(context))
        if history is None or history.context is not context:
            history = _histories[id(context)] = StatsHistory(context)
        return history


@router.get("/stats/history", summary="Charted figures over the last hour, every 10 s")
def stats_history(context: Ctx, minutes: float = Query(60.0, gt=0, le=60)) -> JSONResponse:
    history = history_of(context)
    return JSONResponse({"interval": history.every_s,
                         "samples": history.since(time.time() - minutes * 60)})
