"""The camera process: frames from the capture ring through `CameraPipeline`, results to
the main process. It takes the ring's frames in order, at most `FRAME_BACKLOG` behind the
newest: frames further back are skipped (counted in `skipped_fps`), so a slow frame never
builds a backlog.

It shares no lock with any other process (the ring is lock-free, "a frame is there" is a
semaphore, its results go through a pipe only it writes, its figures are raw shared
values), so killing it, or the capture process feeding it, never blocks anybody else."""

from __future__ import annotations

import collections
import logging
import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

from roost.capture.frame import Frame
from roost.capture.frame_ring import FrameRing
from roost.children.parent_death import die_with_parent
from roost.children.pipe_sender import PipeSender
from roost.children.stop_flag import StopFlag
from roost.config.camera import CameraConfig
from roost.config.services import DEFAULT_ATTRIBUTES_MAP, LoggerConfig
from roost.controls import CameraControls
from roost.logs import configure_logging
from roost.track.camera import CameraPipeline, RegionDetector
from roost.track.frame_result import FrameResult, coalesced

logger = logging.getLogger(__name__)

RATE_WINDOW_S = 5.0
#: At most this many frames wait for the camera process; when it falls further behind, the
#: older ones are skipped (it never lags more than this behind the camera).
FRAME_BACKLOG = 3
#: At exit, how long the last (coalesced) result may wait for room in the results queue.
FINAL_PUT_TIMEOUT_S = 1.0


class ResultChannel(Protocol):
    """Where results go: a `PipeSender` (or a queue, in tests)."""

    def put_nowait(self, item: Any) -> None: ...

    def put(self, item: Any, timeout: float | None = None) -> None: ...


class ResultSender:
    """Hands results to the main process without ever blocking the camera: when the queue
    is full, the result is kept and merged into the next one (`coalesced`), so a slow
    consumer costs intermediate frames, never an object's end or its best frame."""

    def __init__(self, results: ResultChannel) -> None:
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
    """Figures of one camera process, raw shared values (no lock a dying process could hold)."""

    process_fps: Any  # RawValue("d")
    detection_fps: Any  # RawValue("d")
    skipped_fps: Any  # RawValue("d"): frames the capture delivered that this process never got to
    pid: Any  # RawValue("i")
    heartbeat: Any  # RawValue("d"): epoch s of the loop's last turn; stale means stalled

    @classmethod
    def create(cls, context: Any) -> CameraValues:
        return cls(context.RawValue("d", 0.0), context.RawValue("d", 0.0), context.RawValue("d", 0.0),
                   context.RawValue("i", 0), context.RawValue("d", 0.0))


@dataclass(frozen=True)
class RingSpec:
    name: str
    height: int
    width: int
    slots: int


def run_camera(name: str, camera: CameraConfig, ring_spec: RingSpec, frame_ready: Any, results: Connection,
               detector: RegionDetector, controls: CameraControls, stop: StopFlag, values: CameraValues,
               logger_config: LoggerConfig | None = None, settings: Connection | None = None,
               attributes_map: dict[str, list[str]] | None = None) -> None:
    """Process entry point. `frame_ready` is the semaphore the capture raises per frame;
    `results` the write end of this process's own pipe to the supervisor; `settings` brings
    new configs of this camera whose masks, zones or motion tuning changed (the web UI saves
    them), applied from the next frame; `attributes_map`: which labels attach to which."""
    parent = mp.parent_process()
    die_with_parent(parent.pid if parent is not None else None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(logger_config or LoggerConfig())
    values.pid.value = os.getpid()
    values.heartbeat.value = time.time()
    ring = FrameRing.attach(ring_spec.name, ring_spec.height, ring_spec.width, ring_spec.slots)
    pipeline = CameraPipeline(name, camera, detector, controls,
                              DEFAULT_ATTRIBUTES_MAP if attributes_map is None else attributes_map)
    processed: collections.deque[tuple[float, int]] = collections.deque()  # (time, regions run)
    skipped: collections.deque[tuple[float, int]] = collections.deque()  # (time, frames skipped)
    channel = PipeSender(results)
    sender = ResultSender(channel)
    last_sequence = 0
    try:
        while not stop.is_set():
            values.heartbeat.value = time.time()
            frame = _next_frame(ring, name, last_sequence)
            if frame is None:
                if not frame_ready.acquire(timeout=0.5):
                    sender.retry()
                    now = time.monotonic()
                    values.process_fps.value, values.detection_fps.value = _rate(processed, now)
                    values.skipped_fps.value = _rate(skipped, now)[1]
                continue
            if settings is not None:
                _take_settings(pipeline, settings)
            yuv = ring.read(frame.slot, frame.sequence)
            if yuv is None:
                continue  # overwritten meanwhile: the next turn takes a newer one
            now = time.monotonic()
            if last_sequence and frame.sequence > last_sequence + 1:
                skipped.append((now, frame.sequence - last_sequence - 1))
            last_sequence = frame.sequence
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
            values.skipped_fps.value = _rate(skipped, now)[1]
        sender.flush()
        channel.close()
    finally:
        values.process_fps.value = values.detection_fps.value = values.skipped_fps.value = 0.0
        ring.close()


def _take_settings(pipeline: CameraPipeline, settings: Connection) -> None:
    """Apply the newest settings waiting on the pipe (older ones are superseded)."""
    camera: CameraConfig | None = None
    try:
        while settings.poll():
            camera = settings.recv()
    except (EOFError, OSError):  # the supervisor closed it (stopping)
        return
    if camera is None:
        return
    try:
        pipeline.reconfigure(camera)
    except ValueError as error:
        logger.error("%s", error)


def _next_frame(ring: FrameRing, camera: str, last_sequence: int) -> Frame | None:
    """The frame after `last_sequence`, or the oldest of the newest `FRAME_BACKLOG` when
    this process fell further behind (the ones in between are skipped); None while there is
    nothing new. A ring numbered afresh (lower than `last_sequence`) starts from its newest."""
    newest = ring.newest(camera)
    if newest is None or newest.sequence == last_sequence:
        return None
    if newest.sequence < last_sequence:
        return newest
    wanted = max(last_sequence + 1, newest.sequence - FRAME_BACKLOG + 1)
    return ring.numbered(camera, wanted) or newest


def _rate(processed: collections.deque[tuple[float, int]], now: float) -> tuple[float, float]:
    while processed and now - processed[0][0] > RATE_WINDOW_S:
        processed.popleft()
    return len(processed) / RATE_WINDOW_S, sum(n for _, n in processed) / RATE_WINDOW_S
