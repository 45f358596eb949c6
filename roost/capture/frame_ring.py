"""A camera's ring of yuv420p frames in shared memory, shared without any lock.

Layout of the block: `slots` int64 sequence numbers, `slots` float64 frame times (epoch s),
then `slots` frames of `(height * 3 // 2, width)` uint8. The capture process writes slot
after slot (sequence `WRITING` while a slot is being filled, then the frame's number); a
reader copies a slot and checks its sequence number did not change meanwhile (`read`), so
a frame overwritten while it was being copied is reported instead of returned torn.

Nothing here can be left locked: a writer killed mid-frame leaves one slot marked
`WRITING`, which readers skip, and its successor (`attach`) numbers on from the newest
complete frame, so readers waiting for "a frame newer than the last one" see new frames.
"""

from __future__ import annotations

from multiprocessing import shared_memory

import numpy as np
import numpy.typing as npt

from roost.capture.frame import Frame

WRITING = -1


class FrameRing:
    def __init__(self, name: str, height: int, width: int, slots: int, create: bool) -> None:
        self.name, self.height, self.width, self.slots = name, height, width, slots
        self.frame_shape = (height * 3 // 2, width)
        self.frame_bytes = self.frame_shape[0] * width
        header = 16 * slots
        size = header + slots * self.frame_bytes
        self.shm = shared_memory.SharedMemory(name=name, create=create, size=size if create else 0)
        self.sequence: npt.NDArray[np.int64] = np.ndarray((slots,), np.int64, self.shm.buf[:8 * slots])
        self.times: npt.NDArray[np.float64] = np.ndarray((slots,), np.float64, self.shm.buf[8 * slots:header])
        self.frames: npt.NDArray[np.uint8] = np.ndarray((slots, *self.frame_shape), np.uint8,
                                                        self.shm.buf[header:header + slots * self.frame_bytes])
        if create:
            self.sequence[:] = 0
            self.times[:] = 0.0
        newest = int(self.sequence.argmax())
        self._count = max(0, int(self.sequence[newest]))
        self._next = (newest + 1) % slots if self._count else 0

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

    def end_write(self, slot: int, frame_time: float) -> int:
        """The slot is complete: give it the next sequence number and its time (epoch s)."""
        self._count += 1
        self.times[slot] = frame_time
        self.sequence[slot] = self._count
        self._next = (slot + 1) % self.slots
        return self._count

    def view(self, slot: int) -> npt.NDArray[np.uint8]:
        """The slot's frame without copying; it changes when the ring wraps around."""
        frame: npt.NDArray[np.uint8] = self.frames[slot]
        return frame

    def read(self, slot: int, sequence: int | None = None) -> npt.NDArray[np.uint8] | None:
        """A copy of the slot's frame, or None when it was being (over)written meanwhile
        (or, with `sequence`, when the slot no longer holds that frame)."""
        before = int(self.sequence[slot])
        if before == WRITING or (sequence is not None and before != sequence):
            return None
        frame: npt.NDArray[np.uint8] = self.frames[slot].copy()
        return frame if int(self.sequence[slot]) == before else None

    def latest_slot(self) -> int | None:
        """The slot holding the newest complete frame, None before the first."""
        newest = int(self.sequence.argmax())
        return newest if self.sequence[newest] > 0 else None

    def slot_at(self, frame_time: float) -> tuple[int, int] | None:
        """(slot, sequence) of the complete frame taken at `frame_time`, None when the ring
        no longer holds it (or never did)."""
        for slot in np.flatnonzero(self.times == frame_time).tolist():
            sequence = int(self.sequence[slot])
            if sequence > 0 and float(self.times[slot]) == frame_time:
                return slot, sequence
        return None

    def newest(self, camera: str) -> Frame | None:
        """The newest complete frame (its slot, number and time), None before the first."""
        slot = self.latest_slot()
        if slot is None:
            return None
        sequence = int(self.sequence[slot])
        frame_time = float(self.times[slot])
        if int(self.sequence[slot]) != sequence or sequence <= 0:
            return None  # overwritten between the two reads
        return Frame(camera, frame_time, self.height, self.width, slot, sequence)

    def numbered(self, camera: str, sequence: int) -> Frame | None:
        """Frame number `sequence` while the ring still holds it (slots are filled in order,
        so it sits `newest - sequence` slots before the newest), else None."""
        newest = self.newest(camera)
        if newest is None or not 0 <= newest.sequence - sequence < self.slots:
            return None
        slot = (newest.slot - (newest.sequence - sequence)) % self.slots
        frame_time = float(self.times[slot])
        if int(self.sequence[slot]) != sequence:
            return None
        return Frame(camera, frame_time, self.height, self.width, slot, sequence)

    def close(self) -> None:
        del self.sequence, self.times, self.frames
        self.shm.close()

    def unlink(self) -> None:
        try:
            self.shm.unlink()
        except FileNotFoundError:
            pass
