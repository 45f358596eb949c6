"""The camera process: frames from the capture ring through `CameraPipeline`, results to
the main process. It always works on the newest frame: the capture process drops frames
while this one is busy, so a slow frame never builds a backlog."""

from __future__ import annotations

import collections
import logging
import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

from roost.capture.frame import Frame
from roost.capture.frame_ring import FrameRing
from roost.config.camera import CameraConfig
from roost.config.services import DEFAULT_ATTRIBUTES_MAP, LoggerConfig
from roost.controls import CameraControls
from roost.logs import configure_logging
from roost.track.camera import CameraPipeline, RegionDetector
from roost.track.frame_result import FrameResult, coalesced

logger = logging.getLogger(__name__)

RATE_WINDOW_S = 5.0
#: At exit, how long the last (coalesced) result may wait for room in the results queue.
FINAL_PUT_TIMEOUT_S = 1.0


class ResultSender:
    """Hands results to the main process without ever blocking the camera: when the queue
    is full, the result is kept and merged into the next one (`coalesced`), so a slow
    consumer costs intermediate frames, never an object's end or its best frame."""

    def __init__(self, results: mp.Queue[FrameResult]) -> None:
        self.results = results
        self.pending: FrameResult | None = None
        self.merged = 0  # results folded into a later one because the queue was full

    def send(self, result: FrameResult) -> bool:
        """True when handed over now (with anything pending), False when kept for later."""
        if self.pending is not None:
            result = coalesced(self.pending, result)
            self.merged += 1
        try:
            self.results.put_nowait(result)
        except queue.Full:
            self.pending = result
            return False
        self.pending = None
        return True

    def retry(self) -> None:
        """Try again to hand over what is pending (no new frame came meanwhile)."""
        if self.pending is not None:
            try:
                self.results.put_nowait(self.pending)
            except queue.Full:
                return
            self.pending = None

    def flush(self, timeout: float = FINAL_PUT_TIMEOUT_S) -> bool:
        """Hand over what is pending, waiting up to `timeout` s for room (at exit)."""
        if self.pending is None:
            return True
        try:
            self.results.put(self.pending, timeout=timeout)
        except queue.Full:
            logger.warning("results queue still full at exit; the last frame result of %s is lost",
                           self.pending.camera)
            return False
        self.pending = None
        return True


@dataclass
class CameraValues:
    process_fps: Synchronized[float]
    detection_fps: Synchronized[float]
    pid: Synchronized[int]

    @classmethod
    def create(cls, context: Any) -> CameraValues:
        return cls(context.Value("d", 0.0), context.Value("d", 0.0), context.Value("i", 0))


@dataclass(frozen=True)
class RingSpec:
    name: str
    height: int
    width: int
    slots: int


def run_camera(name: str, camera: CameraConfig, ring_spec: RingSpec, frames: mp.Queue[Frame],
               results: mp.Queue[FrameResult], detector: RegionDetector, controls: CameraControls,
               stop: MpEvent, values: CameraValues, logger_config: LoggerConfig | None = None,
               attributes_map: dict[str, list[str]] | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(logger_config or LoggerConfig())
    values.pid.value = os.getpid()
    ring = FrameRing.attach(ring_spec.name, ring_spec.height, ring_spec.width, ring_spec.slots)
    pipeline = CameraPipeline(name, camera, detector, controls,
                              DEFAULT_ATTRIBUTES_MAP if attributes_map is None else attributes_map)
    processed: collections.deque[tuple[float, int]] = collections.deque()  # (time, regions run)
    sender = ResultSender(results)
    try:
        while not stop.is_set():
            try:
                frame = frames.get(timeout=0.5)
            except queue.Empty:
                sender.retry()
                values.process_fps.value = _rate(processed, time.monotonic())[0]
                continue
            yuv = ring.read(frame.slot)
            if yuv is None:
                continue  # overwritten meanwhile: the capture side counted it as skipped
            before = pipeline.detections_run
            try:
                result = pipeline.process(frame.frame_time, yuv)
            except Exception:  # one bad frame must not end the camera; the next one is fine
                logger.exception("%s: frame processing failed", name)
                continue
            sender.send(result)
            now = time.monotonic()
            processed.append((now, pipeline.detections_run - before))
            values.process_fps.value, values.detection_fps.value = _rate(processed, now)
        sender.flush()
    finally:
        values.process_fps.value = values.detection_fps.value = 0.0
        ring.close()


def _rate(processed: collections.deque[tuple[float, int]], now: float) -> tuple[float, float]:
    while processed and now - processed[0][0] > RATE_WINDOW_S:
        processed.popleft()
    return len(processed) / RATE_WINDOW_S, sum(n for _, n in processed) / RATE_WINDOW_S
