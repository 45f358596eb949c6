"""The detection pipeline's processes: per camera a capture process and a camera process,
one detector pool for all, and a thread in the main process handing each `FrameResult` to
the event bookkeeping. Started, watched (crashed children restart) and stopped here."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from roost.api.context import LatestFrame, OverlayObject
from roost.capture.capture_process import CaptureSpec, CaptureStats, run_capture
from roost.capture.detect_command import detect_command
from roost.capture.frame import Frame
from roost.capture.frame_ring import FrameRing
from roost.config.root import RoostConfig
from roost.config.services import DetectorConfig
from roost.controls import CameraControls
from roost.detect.detector_pool import DetectorPool
from roost.detect.onnx_detector import ModelMissingError, default_model_path
from roost.ffmpeg import is_loopback_url
from roost.events.frame_results import FrameResultHandler
from roost.events.recent_frames import RecentFrames, RecentFrameSampler
from roost.stats import CameraStats, DetectorStats
from roost.track.camera_process import CameraValues, RingSpec, run_camera
from roost.track.frame_result import FrameResult

logger = logging.getLogger(__name__)

RING_SLOTS = 12
#: Reading the local restream: retry at least this often (it paces the camera itself).
LOOPBACK_MAX_BACKOFF_S = 1.0
FRAME_QUEUE_SIZE = 3  # frames waiting for the camera process; more are dropped (skipped)
STOP_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class CameraGone:
    """On the results queue after the last result of a camera process that died."""

    camera: str


@dataclass
class CameraProcesses:
    name: str
    ring: FrameRing
    frames: mp.Queue[Frame]
    capture_spec: CaptureSpec
    capture_stats: CaptureStats
    camera_values: CameraValues
    capture: Any = None
    camera: Any = None


class Pipeline:
    def __init__(self, config: RoostConfig, detectors: dict[str, DetectorConfig],
                 controls: dict[str, CameraControls], handler: FrameResultHandler, model_cache: Path) -> None:
        self.config = config
        self.detectors = detectors
        self.controls = controls
        self.handler = handler
        self.model_cache = model_cache
        self.ctx = mp.get_context("spawn")
        self.stop_event = self.ctx.Event()
        self.results: mp.Queue[FrameResult | CameraGone] = self.ctx.Queue(maxsize=100)
        self.cameras: dict[str, CameraProcesses] = {}
        self.pool: DetectorPool | None = None
        self._thread = threading.Thread(target=self._consume, name="frame-results", daemon=True)
        #: The last seconds of every camera, small, for previews of events that just started.
        self.recent = RecentFrames()
        self._sampler: RecentFrameSampler | None = None
        #: Set once the camera processes are gone: results are read until then, so none is
        #: lost and no camera process blocks at exit on a full results pipe.
        self._children_gone = threading.Event()
        #: Why no detector runs (the default model is missing), for `/api/stats`.
        self.detector_error: str | None = None

    def start(self) -> None:
        names = [n for n, c in self.config.cameras.items() if c.enabled]
        if self.config.model.path is None:
            try:
                default_model_path(self.model_cache, self.config.model.width)
            except ModelMissingError as error:
                logger.error("%s; cameras run without object detection", error)
                self.detectors = {}
                self.detector_error = f"no object detection: {error}"
        if self.detectors and names:
            self.pool = DetectorPool(self.detectors, self.config.model, self.model_cache, names, self.ctx,
                                     self.config.logger)
            self.pool.start()
        for name in names:
            self._start_camera(name)
        self._thread.start()
        self._sampler = RecentFrameSampler(names, self._latest_yuv, self.recent, time.time)
        self._sampler.start()

    def _start_camera(self, name: str) -> None:
        camera = self.config.cameras[name]
        stream = camera.ffmpeg.input_with_role("detect")
        assert stream is not None  # validated at load time
        height, width = camera.frame_shape
        ring_name = f"roost-{os.getpid()}-{name}-frames"
        ring = FrameRing.create(ring_name, height, width, RING_SLOTS)
        spec = CaptureSpec(name, detect_command(camera, stream), ring_name, height, width, RING_SLOTS,
                           stall_timeout_s=max(10.0, camera.ffmpeg.retry_interval),
                           **({"max_backoff_s": LOOPBACK_MAX_BACKOFF_S} if is_loopback_url(stream.path) else {}))
        procs = CameraProcesses(name, ring, self.ctx.Queue(maxsize=FRAME_QUEUE_SIZE), spec,
                                CaptureStats.create(self.ctx), CameraValues.create(self.ctx))
        self.cameras[name] = procs
        self._spawn_capture(procs)
        self._spawn_camera(procs)
        logger.info("camera %s: capturing %s at %dx%d, %d fps", name, stream.path.split("@")[-1],
                    width, height, camera.detect.fps)

    def _spawn_capture(self, procs: CameraProcesses) -> None:
        procs.capture = self.ctx.Process(target=run_capture, name=f"capture:{procs.name}", daemon=True,
                                         args=(procs.capture_spec, procs.frames, self.stop_event, procs.capture_stats,
                                               self.config.logger))
        procs.capture.start()

    def _spawn_camera(self, procs: CameraProcesses) -> None:
        detector: Any = self.pool.client(procs.name) if self.pool else _NoDetector()
        ring = RingSpec(procs.ring.name, procs.ring.height, procs.ring.width, procs.ring.slots)
        procs.camera = self.ctx.Process(
            target=run_camera, name=f"camera:{procs.name}", daemon=True,
            args=(procs.name, self.config.cameras[procs.name], ring, procs.frames, self.results, detector,
                  self.controls[procs.name], self.stop_event, procs.camera_values, self.config.logger,
                  self.config.model.attributes_map))
        procs.camera.start()

    def restart_crashed(self) -> None:
        if self.stop_event.is_set():
            return
        for procs in self.cameras.values():
            if procs.capture is not None and not procs.capture.is_alive():
                logger.error("capture process of %s exited (code %s); restarting", procs.name, procs.capture.exitcode)
                self._spawn_capture(procs)
            if procs.camera is not None and not procs.camera.is_alive():
                logger.error("camera process of %s exited (code %s); ending its tracked objects and restarting",
                             procs.name, procs.camera.exitcode)
                self._camera_died(procs.name)
                self._replace_frame_queue(procs)
                self._spawn_camera(procs)
        if self.pool is not None:
            self.pool.restart_crashed()

    def _replace_frame_queue(self, procs: CameraProcesses) -> None:
        """A process killed inside `Queue.get` leaves the queue's read lock taken for good,
        so its successor would wait forever: give the camera a new frame queue, and its
        capture process (which feeds the old one) a restart onto it."""
        procs.frames = self.ctx.Queue(maxsize=FRAME_QUEUE_SIZE)
        capture = procs.capture
        if capture is not None and capture.is_alive():
            capture.terminate()
            capture.join(STOP_TIMEOUT_S)
            if capture.is_alive():
                capture.kill()
                capture.join(1)
        self._spawn_capture(procs)

    def _camera_died(self, camera: str) -> None:
        """Its tracker is gone with it (the new process starts a new one, with new object
        ids): its events and review item end where they were last seen. Queued behind the
        results the dead process sent, so the frame-results thread ends them after those."""
        try:
            self.results.put(CameraGone(camera), timeout=5.0)
        except queue.Full:
            logger.error("frame results of %s are not being handled; its events stay open until the next start",
                         camera)

    def _consume(self) -> None:
        while True:
            try:
                result = self.results.get(timeout=0.1 if self.stop_event.is_set() else 0.5)
            except queue.Empty:
                if self._children_gone.is_set():
                    return
                continue
            try:
                if isinstance(result, CameraGone):
                    self.handler.end_camera(result.camera)
                else:
                    self.handler.handle(result)
            except Exception:  # bookkeeping of one frame failed; the next frames still count
                logger.exception("handling a frame result of %s failed", result.camera)

    def _latest_yuv(self, camera: str) -> npt.NDArray[np.uint8] | None:
        """A copy of the camera's newest decoded frame (yuv420p), None before the first."""
        procs = self.cameras.get(camera)
        if procs is None or self.stop_event.is_set():
            return None
        slot = procs.ring.latest_slot()
        return procs.ring.read(slot) if slot is not None else None

    def latest_frame(self, camera: str) -> LatestFrame | None:
        yuv = self._latest_yuv(camera)
        if yuv is None:
            return None
        image = np.asarray(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420), np.uint8)
        result = self.handler.latest.get(camera)
        if result is None:
            return LatestFrame(image, 0.0)
        return LatestFrame(image, result.frame_time, [(b.x1, b.y1, b.x2, b.y2) for b in result.motion_boxes],
                           [(r.x1, r.y1, r.x2, r.y2) for r in result.regions],
                           [OverlayObject(o.label, o.score, o.box, o.stationary)
                            for o in result.objects if not o.false_positive])

    def camera_stats(self) -> dict[str, CameraStats]:
        stats = {}
        for name in self.config.cameras:
            procs = self.cameras.get(name)
            if procs is None:
                stats[name] = CameraStats(0.0, 0.0, 0.0, 0.0, None, None, None, False)
                continue
            capture, values = procs.capture_stats, procs.camera_values
            stats[name] = CameraStats(capture.camera_fps.value, values.process_fps.value, capture.skipped_fps.value,
                                      values.detection_fps.value if self.pool is not None else 0.0, capture.capture_pid.value or None,
                                      values.pid.value or None, capture.ffmpeg_pid.value or None,
                                      self.controls[name].is_on("detect"), capture.error_text())
        return stats

    def detector_stats(self) -> dict[str, DetectorStats]:
        if self.pool is None:
            return {}
        return {name: DetectorStats(v.inference_speed.value, v.detection_start.value, v.pid.value or None)
                for name, v in self.pool.values.items()}

    def stop(self) -> None:
        """Stop every child within a few seconds (terminate, then kill) and free shared memory."""
        self.stop_event.set()
        if self._sampler is not None:
            self._sampler.stop()
        children = [p for procs in self.cameras.values() for p in (procs.capture, procs.camera) if p is not None]
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in children:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in children:
            if process.is_alive():
                logger.warning("%s did not stop within %.0f s; killed", process.name, STOP_TIMEOUT_S)
                process.kill()
                process.join(1)
        self._children_gone.set()
        if self.pool is not None:
            self.pool.stop()
        self._thread.join(2)
        for procs in self.cameras.values():
            procs.ring.close()
            procs.ring.unlink()


class _NoDetector:
    """Stands in when no model could be loaded: no regions yield detections."""

    model_size = 320
    labels: list[str] = []

    def detect(self, rgb: Any) -> Any:
        return np.zeros((0, 6), np.float32)
