"""The detector pool: N detector processes pulling from ONE shared request queue.

Each camera owns an input tensor (the region, `model_size x model_size x 3` RGB uint8) and
an output array in shared memory plus a "ready" semaphore. A camera writes its region, puts
its name on the queue and waits; whichever detector takes the request reads the camera's
input, runs the model and writes `count, (class_id, score, x1, y1, x2, y2) x 20` into the
camera's output. Only names travel through the queue, never pixels.

"Ready" is a semaphore, not an `Event`: `Event.set` waits until every waiting process has
woken, so a camera process killed while waiting for its answer hung the detector (and so
every camera) for good; releasing a semaphore never waits for anyone.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import dataclass
from multiprocessing import shared_memory
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from roost.config.services import DetectorConfig, LoggerConfig, ModelConfig
from roost.detect.decode import EMPTY, MAX_DETECTIONS
from roost.detect.onnx_detector import OnnxDetector, model_labels
from roost.logs import configure_logging

logger = logging.getLogger(__name__)

RESULT_TIMEOUT_S = 10.0
SPEED_SMOOTHING = 0.1  # weight of the newest inference in the moving average


def shm_names(pool_id: str, camera: str) -> tuple[str, str]:
    return f"roost-{pool_id}-{camera}-in", f"roost-{pool_id}-{camera}-out"


@dataclass
class DetectorValues:
    inference_speed: Synchronized[float]  # ms, moving average
    detection_start: Synchronized[float]  # epoch s of the running inference, 0.0 when idle
    pid: Synchronized[int]


class PoolClient:
    """A camera's handle on the pool (the camera pipeline's `RegionDetector`); picklable,
    attaches to its shared memory in the process that uses it."""

    def __init__(self, pool_id: str, camera: str, model_size: int, labels: list[str],
                 requests: mp.Queue[str], ready: Any) -> None:
        self.pool_id, self.camera, self.model_size, self.labels = pool_id, camera, model_size, labels
        self.requests, self.ready = requests, ready
        self._shm: tuple[shared_memory.SharedMemory, shared_memory.SharedMemory] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_shm": None}

    def _arrays(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
        if self._shm is None:
            names = shm_names(self.pool_id, self.camera)
            self._shm = (shared_memory.SharedMemory(names[0]), shared_memory.SharedMemory(names[1]))
        size = self.model_size
        tensor: npt.NDArray[np.uint8] = np.ndarray((size, size, 3), np.uint8, self._shm[0].buf)
        output: npt.NDArray[np.float32] = np.ndarray((1 + MAX_DETECTIONS * 6,), np.float32, self._shm[1].buf)
        return tensor, output

    def detect(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        tensor, output = self._arrays()
        tensor[:] = rgb
        while self.ready.acquire(False):
            pass  # a late answer to a request that timed out
        self.requests.put(self.camera)
        if not self.ready.acquire(timeout=RESULT_TIMEOUT_S):
            logger.error("%s: no detector answered within %.0f s", self.camera, RESULT_TIMEOUT_S)
            return EMPTY
        count = int(output[0])
        return output[1:1 + count * 6].reshape(count, 6).copy()


def run_detector(name: str, detector: DetectorConfig, model: ModelConfig, model_cache: Path, pool_id: str,
                 cameras: list[str], requests: mp.Queue[str], ready: dict[str, Any],
                 values: DetectorValues, stop: MpEvent, logger_config: LoggerConfig | None = None) -> None:
    """Detector process entry point."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(logger_config or LoggerConfig())
    values.pid.value = os.getpid()
    runner = OnnxDetector(detector.model or model, detector, model_cache)
    size = runner.model_size
    buffers = {}
    for camera in cameras:
        names = shm_names(pool_id, camera)
        inp, out = shared_memory.SharedMemory(names[0]), shared_memory.SharedMemory(names[1])
        buffers[camera] = (inp, out, np.ndarray((size, size, 3), np.uint8, inp.buf),
                           np.ndarray((1 + MAX_DETECTIONS * 6,), np.float32, out.buf))
    logger.info("detector %s ready (pid %d)", name, os.getpid())
    try:
        while not stop.is_set():
            try:
                camera = requests.get(timeout=0.5)
            except queue.Empty:
                continue
            _, _, tensor, output = buffers[camera]
            values.detection_start.value = time.time()
            rows = runner.detect(tensor)
            values.detection_start.value = 0.0
            speed = values.inference_speed.value
            values.inference_speed.value = runner.inference_ms if speed == 0 else (
                (1 - SPEED_SMOOTHING) * speed + SPEED_SMOOTHING * runner.inference_ms)
            count = min(len(rows), MAX_DETECTIONS)
            output[0] = count
            output[1:1 + count * 6] = rows[:count].reshape(-1)
            ready[camera].release()
    finally:
        for inp, out, _, _ in buffers.values():
            inp.close()
            out.close()


class DetectorPool:
    def __init__(self, detectors: dict[str, DetectorConfig], model: ModelConfig, model_cache: Path,
                 cameras: list[str], context: Any = None, logger_config: LoggerConfig | None = None) -> None:
        self.ctx = context or mp.get_context("spawn")
        self.logger_config = logger_config
        self.detectors, self.model, self.model_cache, self.cameras = detectors, model, model_cache, cameras
        self.pool_id = f"{os.getpid()}-{int(time.time() * 1000) % 100000}"
        self.model_size = max(model.width, model.height)
        self.labels = model_labels(model, model_cache)
        self.requests: mp.Queue[str] = self.ctx.Queue()
        self.ready = {camera: self.ctx.Semaphore(0) for camera in cameras}
        self.stop_event = self.ctx.Event()
        self.values = {name: DetectorValues(self.ctx.Value("d", 0.0), self.ctx.Value("d", 0.0), self.ctx.Value("i", 0))
                       for name in detectors}
        self.processes: dict[str, Any] = {}
        self.memory: list[shared_memory.SharedMemory] = []
        for camera in cameras:
            names = shm_names(self.pool_id, camera)
            self.memory.append(shared_memory.SharedMemory(names[0], create=True, size=self.model_size ** 2 * 3))
            self.memory.append(shared_memory.SharedMemory(names[1], create=True, size=4 * (1 + MAX_DETECTIONS * 6)))

    def client(self, camera: str) -> PoolClient:
        return PoolClient(self.pool_id, camera, self.model_size, self.labels, self.requests, self.ready[camera])

    def _start_one(self, name: str) -> None:
        process = self.ctx.Process(
            target=run_detector, name=f"detector:{name}", daemon=True,
            args=(name, self.detectors[name], self.model, self.model_cache, self.pool_id, self.cameras,
                  self.requests, self.ready, self.values[name], self.stop_event, self.logger_config))
        process.start()
        self.processes[name] = process

    def start(self) -> None:
        for name in self.detectors:
            self._start_one(name)

    def restart_crashed(self) -> None:
        for name, process in list(self.processes.items()):
            if not process.is_alive() and not self.stop_event.is_set():
                logger.error("detector %s exited (code %s); restarting it", name, process.exitcode)
                self._start_one(name)

    def stop(self, timeout: float = 3.0) -> None:
        self.stop_event.set()
        for process in self.processes.values():
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(1)
        for block in self.memory:
            block.close()
            block.unlink()
        self.memory = []
