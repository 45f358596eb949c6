"""The last seconds of each camera as small JPEGs, so an event's `preview.gif` works the
moment a notification asks for it (seconds after the event started, long before the
recording segment covering it is finished and indexed), as Frigate's previews do.

Frames are sampled from the camera's newest decoded frame `PREVIEW_FPS` times a second,
scaled to `PREVIEW_HEIGHT` (the yuv planes, before the colour conversion) and kept as JPEG
for `RECENT_SECONDS` (a few hundred kB per camera). Times are the wall clock at sampling
(epoch s), which is within a frame interval of the capture time for a live camera.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from roost.events.previews import PREVIEW_FPS, PREVIEW_HEIGHT, PREVIEW_SECONDS
from roost.events.snapshots import encode_jpeg, small_bgr_from_i420

#: Seconds of frames kept per camera: a whole preview, plus slack for a slow request.
RECENT_SECONDS = PREVIEW_SECONDS + 10.0
RECENT_JPEG_QUALITY = 80

Frame = tuple[float, bytes]  # (epoch s, JPEG)


class RecentFrames:
    """Thread-safe: `add` from the sampler, `between` from API requests."""

    def __init__(self, seconds: float = RECENT_SECONDS) -> None:
        self.seconds = seconds
        self._frames: dict[str, collections.deque[Frame]] = {}
        self._lock = threading.Lock()

    def add(self, camera: str, when: float, yuv: npt.NDArray[np.uint8]) -> None:
        """Keep a yuv420p frame `(h * 3 // 2, w)` of `camera` taken at `when` (epoch s)."""
        jpeg = encode_jpeg(small_bgr_from_i420(yuv, PREVIEW_HEIGHT), RECENT_JPEG_QUALITY)
        with self._lock:
            frames = self._frames.setdefault(camera, collections.deque())
            frames.append((when, jpeg))
            while frames and frames[0][0] < when - self.seconds:
                frames.popleft()

    def between(self, camera: str, start: float, end: float) -> list[Frame]:
        """The kept frames of `camera` from `start` to `end` (epoch s), oldest first."""
        with self._lock:
            return [f for f in self._frames.get(camera, ()) if start <= f[0] <= end]

    def oldest(self, camera: str) -> float | None:
        with self._lock:
            frames = self._frames.get(camera)
            return frames[0][0] if frames else None


class RecentFrameSampler:
    """A thread feeding `RecentFrames` from `latest(camera)` (yuv420p frames) every
    1 / PREVIEW_FPS s until `stop`."""

    def __init__(self, cameras: list[str], latest: Callable[[str], npt.NDArray[np.uint8] | None],
                 frames: RecentFrames, clock: Callable[[], float]) -> None:
        self.cameras, self.latest, self.frames, self.clock = cameras, latest, frames, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recent-frames", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    def _run(self) -> None:
        while not self._stop.wait(1.0 / PREVIEW_FPS):
            for camera in self.cameras:
                yuv = self.latest(camera)
                if yuv is not None:
                    self.frames.add(camera, self.clock(), yuv)
