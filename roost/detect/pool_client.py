"""A camera's side of the detector pool (`roost.detect.detector_pool` tells how the two
sides meet): the layout of its request and answer blocks in shared memory, and
`PoolClient`, the `RegionDetector` a camera process runs its regions through.

Kept apart from the detector processes' side so that a camera process, which unpickles a
`PoolClient`, never loads ONNX Runtime and onnx: only a detector needs them, and in every
camera process they cost 0.75 s of CPU at each start and 18 MB of private memory (47 MB
resident: 166 → 119 MB for a vtest camera under `roost serve`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from multiprocessing import shared_memory
from typing import Any

import numpy as np
import numpy.typing as npt
import psutil

from roost.detect.decode import EMPTY, MAX_DETECTIONS

logger = logging.getLogger(__name__)

#: A camera gives up on one region after this long without an answer (and goes on).
RESULT_TIMEOUT_S = 5.0
#: While waiting, how often a camera checks that the detector serving it is still alive.
CLAIM_CHECK_S = 0.5
HEADER_BYTES = 32  # request block: request id, claimer pid, region count (int64); answer block: answer id + padding
OUTPUT_FLOATS = 1 + MAX_DETECTIONS * 6  # per region
#: Regions sent in one request; a frame with more sends several requests.
MAX_BATCH = 8


def shm_names(pool_id: str, camera: str) -> tuple[str, str]:
    return f"{pool_id}-{camera}-in", f"{pool_id}-{camera}-out"


class CameraBlocks:
    """Views on one camera's request and answer blocks."""

    def __init__(self, pool_id: str, camera: str, model_size: int, create: bool = False) -> None:
        names = shm_names(pool_id, camera)
        tensor_bytes = MAX_BATCH * model_size * model_size * 3
        output_bytes = MAX_BATCH * 4 * OUTPUT_FLOATS
        self.request = shared_memory.SharedMemory(names[0], create=create, size=HEADER_BYTES + tensor_bytes)
        self.answer = shared_memory.SharedMemory(names[1], create=create, size=HEADER_BYTES + output_bytes)
        self.header: npt.NDArray[np.int64] = np.ndarray((3,), np.int64, self.request.buf[:HEADER_BYTES])
        self.tensors: npt.NDArray[np.uint8] = np.ndarray(
            (MAX_BATCH, model_size, model_size, 3), np.uint8,
            self.request.buf[HEADER_BYTES:HEADER_BYTES + tensor_bytes])
        self.answer_id: npt.NDArray[np.int64] = np.ndarray((1,), np.int64, self.answer.buf[:8])
        self.outputs: npt.NDArray[np.float32] = np.ndarray(
            (MAX_BATCH, OUTPUT_FLOATS), np.float32, self.answer.buf[HEADER_BYTES:HEADER_BYTES + output_bytes])
        if create:
            self.header[:] = 0
            self.answer_id[:] = 0

    def close(self) -> None:
        del self.header, self.tensors, self.answer_id, self.outputs
        self.request.close()
        self.answer.close()

    def unlink(self) -> None:
        for block in (self.request, self.answer):
            try:
                block.unlink()
            except FileNotFoundError:
                pass


def process_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


class PoolClient:
    """A camera's handle on the pool (the camera pipeline's `RegionDetector`); picklable,
    attaches to its shared memory in the process that uses it."""

    def __init__(self, pool_id: str, camera: str, model_size: int, labels: list[str],
                 pending: Any, requested: Any, ready: Any) -> None:
        self.pool_id, self.camera, self.model_size, self.labels = pool_id, camera, model_size, labels
        self.pending, self.requested, self.ready = pending, requested, ready
        self._blocks: CameraBlocks | None = None
        self._next_id = 0

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_blocks": None, "_next_id": 0}

    def _request_id(self) -> int:
        # Ids grow across restarts of the camera process too: a dead predecessor's late
        # answer never matches.
        self._next_id = max(self._next_id + 1, time.time_ns() // 1000)
        return self._next_id

    def _ask(self, blocks: CameraBlocks) -> None:
        blocks.header[1] = 0
        self.requested.release()
        self.pending.release()

    def detect(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        return self.detect_batch([rgb])[0]

    def detect_batch(self, rgbs: Sequence[npt.NDArray[np.uint8]]) -> list[npt.NDArray[np.float32]]:
        """Each region's detections, `MAX_BATCH` regions a request."""
        if self._blocks is None:
            self._blocks = CameraBlocks(self.pool_id, self.camera, self.model_size)
        answers: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(rgbs), MAX_BATCH):
            answers += self._request(self._blocks, rgbs[start:start + MAX_BATCH])
        return answers

    def _request(self, blocks: CameraBlocks, rgbs: Sequence[npt.NDArray[np.uint8]]) -> list[npt.NDArray[np.float32]]:
        while self.requested.acquire(False):
            pass  # an earlier request nobody took: withdrawn (its regions are being replaced)
        while self.ready.acquire(False):
            pass  # a late answer to a request that timed out
        for index, rgb in enumerate(rgbs):
            blocks.tensors[index] = rgb
        request_id = self._request_id()
        blocks.header[2] = len(rgbs)
        blocks.header[0] = request_id
        self._ask(blocks)
        deadline = time.monotonic() + RESULT_TIMEOUT_S
        while (left := deadline - time.monotonic()) > 0:
            if self.ready.acquire(timeout=min(CLAIM_CHECK_S, left)):
                if int(blocks.answer_id[0]) == request_id:
                    return [_answer_rows(blocks.outputs[index]) for index in range(len(rgbs))]
                continue  # the answer to an older request
            claimer = int(blocks.header[1])
            if claimer and not process_alive(claimer):
                logger.warning("%s: detector process %d died on this request; asking again", self.camera, claimer)
                self._ask(blocks)
        logger.error("%s: no detector answered within %.0f s", self.camera, RESULT_TIMEOUT_S)
        return [EMPTY] * len(rgbs)


def _answer_rows(output: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """One region's `(N, 6)` rows out of its answer slot (`count`, then the rows)."""
    count = int(output[0])
    return output[1:1 + count * 6].reshape(count, 6).copy()
