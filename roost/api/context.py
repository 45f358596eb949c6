"""What the HTTP API needs from the rest of Roost, handed over by the supervisor.

`ApiContext` is the only thing `create_app` / `serve_api` take; everything live (frames,
stats, manual events) comes through callables so the API never reaches into processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from fastapi import APIRouter

from roost.box import Box as Box  # re-exported: overlays import it from here
from roost.config.loading import LoadedConfig
from roost.controls import CameraControls
from roost.hub import Hub
from roost.paths import model_cache_dir
from roost.store import Database
from roost.tune.runner import Tuner, TuneSettings


@dataclass(frozen=True)
class OverlayObject:
    """A tracked object as drawn on debug images: `box` is x1, y1, x2, y2 in frame pixels;
    `seen`: detected in this frame (else tracked on from where it was last seen)."""

    label: str
    score: float
    box: Box
    stationary: bool = False
    seen: bool = True


@dataclass(frozen=True)
class LatestFrame:
    """The newest processed frame of a camera and what the pipeline saw in it.

    `image` is BGR `(height, width, 3)` uint8 at detect resolution; all boxes are
    x1, y1, x2, y2 in that image's pixels; `frame_time` is epoch seconds."""

    image: npt.NDArray[np.uint8]
    frame_time: float
    motion_boxes: Sequence[Box] = ()
    regions: Sequence[Box] = ()
    objects: Sequence[OverlayObject] = ()


class ManualEvents(Protocol):
    """Creates and ends events that a client asks for (`/api/events/<camera>/<label>/create`,
    `/api/events/<id>/end`). `roost.api.manual_events.StoredManualEvents` is the default."""

    def create(self, camera: str, label: str, sub_label: str | None, score: float,
               duration: float | None, include_recording: bool) -> str:
        """Start an event now; returns its id. With `duration`, it ends that many seconds later."""
        ...

    def end(self, event_id: str, end_time: float) -> bool:
        """End a manual event; False when no such event is in progress."""
        ...


def _no_stats() -> dict[str, Any]:
    return {}


def _no_frame(_camera: str) -> LatestFrame | None:
    return None


@dataclass
class ApiContext:
    """Everything the API serves from.

    - `loaded`: the validated config (and its secrets, masked in `/api/config`);
    - `database`: reads through sessions, writes through the single writer;
    - `hub`: the API publishes sub label / control changes and feeds the websocket from it;
    - `controls`: per-camera switches (the websocket's `/set` commands flip them);
    - `media_dir`: root of `recordings/`, `clips/`, `exports/`; no file outside it is served;
    - `stats()`: the stats JSON of `/api/stats`;
    - `latest_frame(camera)`: the newest processed frame, or None when there is none yet;
    - `recent_frames(camera, start, end)`: the camera's last seconds as small (epoch s,
      JPEG) frames, for previews of events that started moments ago;
    - `manual_events`: None uses `StoredManualEvents` (DB rows + hub messages);
    - `extra_routers`: more routers (classification, web UI), included under `/api` and at
      the root before the catch-all camera paths.
    """

    loaded: LoadedConfig
    database: Database
    hub: Hub
    controls: Mapping[str, CameraControls]
    media_dir: Path
    stats: Callable[[], dict[str, Any]] = _no_stats
    latest_frame: Callable[[str], LatestFrame | None] = _no_frame
    recent_frames: Callable[[str, float, float], list[tuple[float, bytes]]] = lambda _c, _s, _e: []
    manual_events: ManualEvents | None = None
    extra_routers: list[APIRouter] = field(default_factory=list)
    model_cache: Path = field(default_factory=model_cache_dir)  # classifiers' model files
    tuner: Tuner = field(default_factory=Tuner)  # one detector tune at a time (roost.api.tuning)
    tune_settings: TuneSettings = field(default_factory=TuneSettings)
    # Called with a validated, saved new config; returns True when a restart is still needed.
    on_config_change: Callable[[LoadedConfig], bool] | None = None

    @property
    def clips_dir(self) -> Path:
        return self.media_dir / "clips"

    @property
    def recordings_dir(self) -> Path:
        return self.media_dir / "recordings"

    @property
    def exports_dir(self) -> Path:
        return self.media_dir / "exports"
