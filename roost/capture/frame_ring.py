"""A camera's ring of yuv420p frames in shared memory.

Layout of the block: `slots` int64 sequence numbers, then `slots` frames of
`(height * 3 // 2, width)` uint8. The capture process writes slot after slot; a reader
copies a slot and checks its sequence number did not change meanwhile (`read`), so a frame
overwritten while it was being copied is reported instead of returned torn.
"""

from __future__ import annotations

from multiprocessing import shared_memory

import numpy as np
import numpy.typing as npt

WRITING = -1


class FrameRing:
    def __init__(self, name: str, height: int, width: int, slots: int, create: bool) -> None:
        self.name, self.height, self.width, self.slots = name, height, width, slots
        self.frame_shape = (height * 3 // 2, width)
        self.frame_bytes = self.frame_shape[0] * width
        header = 8 * slots
        size = header + slots * self.frame_bytes
        self.shm = shared_memory.SharedMemory(name=name, create=create, size=size if create else 0)
        self.sequence: npt.NDArray[np.int64] = np.ndarray((slots,), np.int64, self.shm.buf[:header])
        self.frames: npt.NDArray[np.uint8] = np.ndarray((slots, *self.frame_shape), np.uint8,
                                                        self.shm.buf[header:header + slots * self.frame_bytes])
        if create:
            self.sequence[:] = 0
        self._next = 0
        self._count = 0

    @classmethod
    def create(cls, name: str, height: int, width: int, slots: int) -> FrameRing:
        return cls(name, height, width, slots, create=True)

    @classmethod
    def attach(cls, name: str, height: int, width: int, slots: int) -> FrameRing:
        return cls(name, height, width, slots, create=False)

    def begin_write(self) -> tuple[int, memoryview]:
        """The next slot to fill and a writable byte view of it (for `readinto`)."""
        slot = self._next
        self.sequence[slot] = WRITING
        return slot, memoryview(self.frames[slot]).cast("B")

    def end_write(self, slot: int) -> int:
        self._count += 1
        self.sequence[slot] = self._count
        self._next = (slot + 1) % self.slots
        return self._count

    def view(self, slot: int) -> npt.NDArray[np.uint8]:
        """The slot's frame without copying; it changes when the ring wraps around."""
        frame: npt.NDArray[np.uint8] = self.frames[slot]
        return frame

    def read(self, slot: int) -> npt.NDArray[np.uint8] | None:
        """A copy of the slot's frame, or None when it was being (over)written meanwhile."""
        before = int(self.sequence[slot])
        if before == WRITING:
            return None
        frame: npt.NDArray[np.uint8] = self.frames[slot].copy()
        return frame if int(self.sequence[slot]) == before else None

    def latest_slot(self) -> int | None:
        """The slot holding the newest complete frame, None before the first."""
        newest = int(self.sequence.argmax())
        return newest if self.sequence[newest] > 0 else None

    def close(self) -> None:
        del self.sequence, self.frames
        self.shm.close()

    def unlink(self) -> None:
        try:
            self.shm.unlink()
        except FileNotFoundError:
            pass
