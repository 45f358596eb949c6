"""The detector pool: N detector processes serving every camera's requests, with no lock
any process shares.

Each camera owns a request block (request id, claiming detector's pid, region count, then
up to `MAX_BATCH` region tensors `model_size x model_size x 3` RGB uint8) and an answer
block (answer id, then per region `count, (class_id, score, x1, y1, x2, y2) x 20` float32)
in shared memory, and three semaphores in effect: its own "requested" and "ready", and
the pool's "pending". A camera writes all of a frame's regions and the id, raises
"requested" and "pending" and waits on "ready"; a detector woken by "pending" claims the
first camera whose "requested" it can take, writes its pid into the request block, runs
the model on the regions in one call, writes the answers with the request's id and raises
that camera's "ready". One request a frame instead of one a region: a camera waits for
one answer, and the model runs its batch at a lower cost per region. Only semaphores and shared memory are involved: semaphores have no
owner and a shared block cannot be left locked, so a detector or camera killed at any
instruction leaves nothing behind that blocks the others.

What a death costs: a camera whose request was claimed by a detector that died sees the
claimer gone and asks again (within `CLAIM_CHECK_S`); a late answer to an earlier request
is told apart by its id and ignored.

The camera's side (the blocks' layout, `PoolClient`) is `roost.detect.pool_client`; this
module is the detector processes and the pool that starts and watches them.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roost.children.leftovers import segment_name
from roost.children.parent_death import die_with_parent
from roost.children.stop_flag import StopFlag
from roost.config.services import DetectorConfig, LoggerConfig, ModelConfig
from roost.detect.decode import MAX_DETECTIONS
from roost.detect.onnx_detector import OnnxDetector, model_labels
from roost.detect.pool_client import MAX_BATCH, CameraBlocks, PoolClient
from roost.logs import configure_logging

logger = logging.getLogger(__name__)

SPEED_SMOOTHING = 0.1  # weight of the newest inference in the moving average


@dataclass
class DetectorValues:
    """Raw shared values (no lock a dying detector could hold)."""

    inference_speed: Any  # RawValue("d"): ms, moving average
    detection_start: Any  # RawValue("d"): epoch s of the running inference, 0.0 when idle
    pid: Any  # RawValue("i")
    heartbeat: Any  # RawValue("d"): epoch s of the loop's last turn
    detections: Any  # RawValue("q"): inferences run (all processes of this detector)

    @classmethod
    def create(cls, context: Any) -> DetectorValues:
        return cls(context.RawValue("d", 0.0), context.RawValue("d", 0.0), context.RawValue("i", 0),
                   context.RawValue("d", 0.0), context.RawValue("q", 0))


def _claim(cameras: list[str], requested: dict[str, Any], start: int) -> tuple[int, str] | None:
    """The first camera from `start` on (round robin) with a request this detector took."""
    for step in range(len(cameras)):
        index = (start + step) % len(cameras)
        if requested[cameras[index]].acquire(False):
            return index, cameras[index]
    return None


def run_detector(name: str, detector: DetectorConfig, model: ModelConfig, model_cache: Path, pool_id: str,
                 cameras: list[str], pending: Any, requested: dict[str, Any], ready: dict[str, Any],
                 values: DetectorValues, stop: StopFlag, logger_config: LoggerConfig | None = None) -> None:
    """Detector process entry point."""
    parent = mp.parent_process()
    die_with_parent(parent.pid if parent is not None else None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(logger_config or LoggerConfig())
    values.pid.value = os.getpid()
    values.heartbeat.value = time.time()
    runner = OnnxDetector(detector.model or model, detector, model_cache)
    blocks = {camera: CameraBlocks(pool_id, camera, runner.model_size) for camera in cameras}
    logger.info("detector %s ready (pid %d)", name, os.getpid())
    start = 0
    try:
        while not stop.is_set():
            values.heartbeat.value = time.time()
            pending.acquire(timeout=0.5)  # woken or not, look: a wake-up may have gone to a dead detector
            claimed = _claim(cameras, requested, start)
            if claimed is None:
                continue
            index, camera = claimed
            start = (index + 1) % len(cameras)
            block = blocks[camera]
            block.header[1] = os.getpid()
            request_id = int(block.header[0])
            regions = min(max(int(block.header[2]), 1), MAX_BATCH)
            values.detection_start.value = time.time()
            answers = runner.detect_batch(list(block.tensors[:regions]))
            values.detection_start.value = 0.0
            speed = values.inference_speed.value  # ms per region, as Frigate's inference_speed
            values.inference_speed.value = runner.inference_ms if speed == 0 else (
                (1 - SPEED_SMOOTHING) * speed + SPEED_SMOOTHING * runner.inference_ms)
            for output, rows in zip(block.outputs, answers):
                count = min(len(rows), MAX_DETECTIONS)
                output[0] = count
                output[1:1 + count * 6] = rows[:count].reshape(-1)
            block.answer_id[0] = request_id
            ready[camera].release()
            values.detections.value += regions
    finally:
        for block in blocks.values():
            block.close()


class DetectorPool:
    def __init__(self, detectors: dict[str, DetectorConfig], model: ModelConfig, model_cache: Path,
                 cameras: list[str], context: Any = None, logger_config: LoggerConfig | None = None) -> None:
        self.ctx = context or mp.get_context("spawn")
        self.logger_config = logger_config
        self.detectors, self.model, self.model_cache, self.cameras = detectors, model, model_cache, cameras
        self.pool_id = segment_name(f"pool{int(time.time() * 1000) % 100000}")
        self.model_size = max(model.width, model.height)
        self.labels = model_labels(model, model_cache)
        self.pending = self.ctx.Semaphore(0)
        self.requested = {camera: self.ctx.Semaphore(0) for camera in cameras}
        self.ready = {camera: self.ctx.Semaphore(0) for camera in cameras}
        self.stop_event = StopFlag(self.ctx)
        self.values = {name: DetectorValues.create(self.ctx) for name in detectors}
        self.processes: dict[str, Any] = {}
        self.blocks = [CameraBlocks(self.pool_id, camera, self.model_size, create=True) for camera in cameras]

    def client(self, camera: str) -> PoolClient:
        return PoolClient(self.pool_id, camera, self.model_size, self.labels, self.pending,
                          self.requested[camera], self.ready[camera])

    def _start_one(self, name: str) -> None:
        self.values[name].heartbeat.value = time.time()  # loading the model is not a stall
        process = self.ctx.Process(
            target=run_detector, name=f"detector:{name}", daemon=True,
            args=(name, self.detectors[name], self.model, self.model_cache, self.pool_id, self.cameras,
                  self.pending, self.requested, self.ready, self.values[name], self.stop_event,
                  self.logger_config))
        process.start()
        self.processes[name] = process

    def start(self) -> None:
        for name in self.detectors:
            self._start_one(name)

    def restart_crashed(self) -> None:
        for name, process in list(self.processes.items()):
            if not process.is_alive() and not self.stop_event.is_set():
                logger.error("detector %s exited (code %s); restarting it", name, process.exitcode)
                values = self.values[name]
                values.pid.value, values.detection_start.value, values.inference_speed.value = 0, 0.0, 0.0
                self._start_one(name)

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.is_alive()

    def stop(self, timeout: float = 3.0) -> None:
        self.stop_event.set()
        for process in self.processes.values():
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(1)
        for blocks in self.blocks:
            blocks.close()
            blocks.unlink()
        self.blocks = []
