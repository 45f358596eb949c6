"""The detection pipeline's processes: per camera a capture process and a camera process,
one detector pool for all, and a thread in the main process handing each `FrameResult` to
the event bookkeeping. Started, watched (crashed children restart) and stopped here.

Any child may die at any moment (SIGKILL included) and the rest carry on: no lock is
shared between processes (see `roost.children`), each camera process sends its results
through its own pipe, which the frame-results thread reads to its end before it ends
that camera's events and reads the successor's pipe, so nothing is lost or seen twice.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import multiprocessing.connection
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
from roost.capture.frame_ring import FrameRing
from roost.children.leftovers import segment_name
from roost.children.stop_flag import StopFlag
from roost.config.camera import CameraConfig
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

logger = logging.getLogger(__name__)

RING_SLOTS = 12
#: Reading the local restream: retry at least this often (it paces the camera itself).
LOOPBACK_MAX_BACKOFF_S = 1.0
STOP_TIMEOUT_S = 3.0
#: A child whose loop has not turned for this long is reported stalled in `/api/stats`.
STALL_AFTER_S = 5.0
#: No frame for this long: `camera_fps` reads 0, not the last rate measured.
NO_FRAMES_AFTER_S = 3.0


@dataclass
class ResultPipe:
    """The read end of one camera process's results pipe."""

    camera: str
    connection: multiprocessing.connection.Connection


@dataclass
class CameraProcesses:
    name: str
    ring: FrameRing
    frame_ready: Any  # semaphore: the capture raises it per frame
    capture_spec: CaptureSpec
    capture_stats: CaptureStats
    camera_values: CameraValues
    capture: Any = None
    camera: Any = None
    #: The write end of the running camera process's settings pipe (a new one per process:
    #: no lock is shared with a process that can die).
    settings: multiprocessing.connection.Connection | None = None


class Pipeline:
    def __init__(self, config: RoostConfig, detectors: dict[str, DetectorConfig],
                 controls: dict[str, CameraControls], handler: FrameResultHandler, model_cache: Path) -> None:
        self.config = config
        self.detectors = detectors
        self.controls = controls
        self.handler = handler
        self.model_cache = model_cache
        self.ctx = mp.get_context("spawn")
        self.stop_event = StopFlag(self.ctx)
        #: Per camera, the pipes of its processes in order: the first is read to its end
        #: before the next (the successor's) is looked at.
        self._pipes: dict[str, list[ResultPipe]] = {}
        self._pipes_lock = threading.Lock()
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
        ring_name = segment_name(name, "frames")
        ring = FrameRing.create(ring_name, height, width, RING_SLOTS)
        spec = CaptureSpec(name, detect_command(camera, stream), ring_name, height, width, RING_SLOTS,
                           stall_timeout_s=max(10.0, camera.ffmpeg.retry_interval),
                           **({"max_backoff_s": LOOPBACK_MAX_BACKOFF_S} if is_loopback_url(stream.path) else {}))
        procs = CameraProcesses(name, ring, self.ctx.Semaphore(0), spec,
                                CaptureStats.create(self.ctx), CameraValues.create(self.ctx))
        self.cameras[name] = procs
        self._spawn_capture(procs)
        self._spawn_camera(procs)
        logger.info("camera %s: capturing %s at %dx%d, %d fps", name, stream.path.split("@")[-1],
                    width, height, camera.detect.fps)

    def _spawn_capture(self, procs: CameraProcesses) -> None:
        procs.capture_stats.camera_fps.value = 0.0
        procs.capture_stats.ffmpeg_pid.value = 0
        procs.capture = self.ctx.Process(target=run_capture, name=f"capture:{procs.name}", daemon=True,
                                         args=(procs.capture_spec, procs.frame_ready, self.stop_event, procs.capture_stats,
                                               self.config.logger))
        procs.capture.start()

    def _spawn_camera(self, procs: CameraProcesses) -> None:
        detector: Any = self.pool.client(procs.name) if self.pool else _NoDetector()
        ring = RingSpec(procs.ring.name, procs.ring.height, procs.ring.width, procs.ring.slots)
        reader, writer = self.ctx.Pipe(duplex=False)
        settings_reader, settings_writer = self.ctx.Pipe(duplex=False)
        values = procs.camera_values
        values.heartbeat.value = time.time()  # starting up is not a stall, but no figure is current
        values.process_fps.value = values.detection_fps.value = values.skipped_fps.value = 0.0
        procs.camera = self.ctx.Process(
            target=run_camera, name=f"camera:{procs.name}", daemon=True,
            args=(procs.name, self.config.cameras[procs.name], ring, procs.frame_ready, writer, detector,
                  self.controls[procs.name], self.stop_event, procs.camera_values, self.config.logger,
                  settings_reader, self.config.model.attributes_map))
        procs.camera.start()
        # Only the child holds the write end now, so its death ends the pipe for our reader.
        writer.close()
        settings_reader.close()
        if procs.settings is not None:
            procs.settings.close()
        procs.settings = settings_writer
        with self._pipes_lock:
            self._pipes.setdefault(procs.name, []).append(ResultPipe(procs.name, reader))

    def update_camera(self, name: str, camera: CameraConfig) -> bool:
        """Hand a running camera new masks, zones, filters and motion tuning (the rest of
        `camera` is ignored: the process keeps its streams). False when it does not run."""
        procs = self.cameras.get(name)
        if procs is None:
            return False
        running = self.config.cameras[name]
        updated = running.model_copy(update={"zones": camera.zones, "motion": camera.motion,
                                             "objects": running.objects.model_copy(
                                                 update={"mask": camera.objects.mask,
                                                         "filters": camera.objects.filters})})
        self.config.cameras[name] = updated  # a respawned camera process starts with it
        try:
            if procs.settings is not None:
                procs.settings.send(updated)
        except OSError:  # the process just died: its successor starts with `updated`
            logger.info("camera %s is restarting; it starts with the new settings", name)
        return True

    def restart_crashed(self) -> None:
        """Restart every child that died (called about once a second by the supervisor)."""
        if self.stop_event.is_set():
            return
        for procs in self.cameras.values():
            if procs.capture is not None and not procs.capture.is_alive():
                logger.error("capture process of %s exited (code %s); restarting", procs.name, procs.capture.exitcode)
                self._spawn_capture(procs)
            if procs.camera is not None and not procs.camera.is_alive():
                logger.error("camera process of %s exited (code %s); ending its tracked objects and restarting",
                             procs.name, procs.camera.exitcode)
                self._spawn_camera(procs)
        if self.pool is not None:
            self.pool.restart_crashed()

    def _consume(self) -> None:
        """The frame-results thread: every camera's results, in order, to the handler; a
        camera's pipe that ends while Roost runs means its process died, and its events end
        (after its last results, before its successor's first)."""
        while True:
            with self._pipes_lock:
                heads = {pipes[0].connection: pipes[0] for pipes in self._pipes.values() if pipes}
            if not heads:
                if self._children_gone.is_set():
                    return
                time.sleep(0.1)
                continue
            ready = multiprocessing.connection.wait(list(heads), timeout=0.5)
            if not ready and self._children_gone.is_set():
                return
            for connection in ready:
                pipe = heads[connection]  # type: ignore[index]
                try:
                    result = pipe.connection.recv()
                except (EOFError, OSError):  # the process is gone (its last message may be torn)
                    self._pipe_ended(pipe)
                    continue
                try:
                    self.handler.handle(result)
                except Exception:  # bookkeeping of one frame failed; the next frames still count
                    logger.exception("handling a frame result of %s failed", pipe.camera)

    def _pipe_ended(self, pipe: ResultPipe) -> None:
        pipe.connection.close()
        with self._pipes_lock:
            self._pipes[pipe.camera].remove(pipe)
        if self.stop_event.is_set():
            return  # stopping: `FrameResultHandler.finish` ends everything after the pipeline
        try:
            # Its tracker is gone with it (the new process starts a new one, with new object
            # ids): its events and review item end where they were last seen.
            self.handler.end_camera(pipe.camera)
        except Exception:
            logger.exception("ending the events of %s (its camera process died) failed", pipe.camera)

    def _latest_yuv(self, camera: str, taken_at: float | None = None) -> npt.NDArray[np.uint8] | None:
        """A copy of the camera's frame taken at `taken_at` (epoch s) while the ring holds it,
        else of its newest decoded frame (yuv420p); None before the first."""
        procs = self.cameras.get(camera)
        if procs is None or self.stop_event.is_set():
            return None
        found = procs.ring.slot_at(taken_at) if taken_at is not None else None
        if found is not None and (frame := procs.ring.read(*found)) is not None:
            return frame
        slot = procs.ring.latest_slot()
        return procs.ring.read(slot) if slot is not None else None

    def latest_frame(self, camera: str) -> LatestFrame | None:
        """The newest processed frame with what was seen in it: boxes drawn on a newer frame
        than they were found in trail moving objects (a frame at 5 fps is 0.2 s of walking).
        The newest decoded frame when there is no result yet, or when the camera process
        fell so far behind that the ring no longer holds the frame of its last result."""
        result = self.handler.latest.get(camera)
        yuv = self._latest_yuv(camera, result.frame_time if result is not None else None)
        if yuv is None:
            return None
        image = np.asarray(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420), np.uint8)
        if result is None:
            return LatestFrame(image, 0.0)
        return LatestFrame(image, result.frame_time, [(b.x1, b.y1, b.x2, b.y2) for b in result.motion_boxes],
                           [(r.x1, r.y1, r.x2, r.y2) for r in result.regions],
                           [OverlayObject(o.label, o.score, o.box, o.stationary, o.disappeared == 0)
                            for o in result.objects if not o.false_positive])

    def camera_stats(self) -> dict[str, CameraStats]:
        """Each camera's figures; a camera whose camera or capture process is dead or has not
        turned its loop for `STALL_AFTER_S` reads `stalled` with its rates at 0, not the
        last figures that process wrote."""
        stats = {}
        now = time.time()
        for name in self.config.cameras:
            procs = self.cameras.get(name)
            if procs is None:
                stats[name] = CameraStats(0.0, 0.0, 0.0, 0.0, None, None, None, False)
                continue
            capture, values = procs.capture_stats, procs.camera_values
            capture_alive = procs.capture is not None and procs.capture.is_alive()
            camera_alive = procs.camera is not None and procs.camera.is_alive()
            stalled = not capture_alive or not camera_alive or now - values.heartbeat.value > STALL_AFTER_S
            receiving = capture_alive and now - capture.last_frame_time.value < NO_FRAMES_AFTER_S
            working = camera_alive and not stalled
            stats[name] = CameraStats(
                capture.camera_fps.value if receiving else 0.0,
                values.process_fps.value if working else 0.0,
                values.skipped_fps.value if working else 0.0,
                values.detection_fps.value if working and self.pool is not None else 0.0,
                (capture.capture_pid.value or None) if capture_alive else None,
                (values.pid.value or None) if camera_alive else None,
                (capture.ffmpeg_pid.value or None) if capture_alive else None,
                self.controls[name].is_on("detect"), capture.error_text(), stalled=stalled)
        return stats

    def detector_stats(self) -> dict[str, DetectorStats]:
        """Each detector's figures; a dead one, one whose loop stopped or one stuck in an
        inference for `STALL_AFTER_S` reads `stalled`, with speed 0."""
        if self.pool is None:
            return {}
        now = time.time()
        stats = {}
        for name, v in self.pool.values.items():
            started = v.detection_start.value
            stalled = (not self.pool.alive(name) or now - v.heartbeat.value > STALL_AFTER_S
                       or (started > 0 and now - started > STALL_AFTER_S))
            stats[name] = DetectorStats(0.0 if stalled else v.inference_speed.value,
                                        0.0 if stalled else started,
                                        None if stalled and not self.pool.alive(name) else (v.pid.value or None),
                                        stalled=stalled)
        return stats

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
        with self._pipes_lock:
            for pipes in self._pipes.values():
                for pipe in pipes:
                    pipe.connection.close()
            self._pipes.clear()
        for procs in self.cameras.values():
            procs.ring.close()
            procs.ring.unlink()


class _NoDetector:
    """Stands in when no model could be loaded: no regions yield detections."""

    model_size = 320
    labels: list[str] = []

    def detect_batch(self, rgbs: Any) -> Any:
        return [np.zeros((0, 6), np.float32) for _ in rgbs]
