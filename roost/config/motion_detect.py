"""`motion:` and `detect:` sections."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from roost.config.base import PolygonList, RoostModel


class MotionConfig(RoostModel):
    """Motion detector tuning. Defaults are current Frigate's, tuned for `frame_height` 100."""

    enabled: bool = True
    threshold: int = Field(default=30, ge=1, le=255)
    lightning_threshold: float = Field(default=0.8, gt=0, le=1)
    improve_contrast: bool = True
    contour_area: int = Field(default=10, ge=0)
    delta_alpha: float = Field(default=0.2, gt=0, le=1)
    frame_alpha: float = Field(default=0.01, gt=0, le=1)
    frame_height: int = Field(default=100, ge=10)
    mask: PolygonList = Field(default_factory=list)
    mqtt_off_delay: int = Field(default=30, ge=0)


class StationaryMaxFramesConfig(RoostModel):
    """Frigate's `detect.stationary.max_frames`: frames an object may stay without moving
    before it is taken as gone (its event ends); unset means tracked for as long as it stays."""

    default: int | None = Field(default=None, ge=1)
    objects: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)

    def for_label(self, label: str) -> int | None:
        return self.objects.get(label, self.default)


class StationaryConfig(RoostModel):
    interval: int = Field(default=50, ge=0)  # frames between re-checks of a stationary object
    threshold: int = Field(default=50, ge=1)  # frames without moving before "stationary"
    max_frames: StationaryMaxFramesConfig = Field(default_factory=StationaryMaxFramesConfig)


class DetectConfig(RoostModel):
    enabled: bool = True
    width: int | None = Field(default=None, ge=16, le=7680)
    height: int | None = Field(default=None, ge=16, le=4320)
    fps: int = Field(default=5, ge=1, le=60)
    # Frames without a detection before an object is gone; unset means 2 × fps, as the
    # Frigate README documents.
    max_disappeared: int | None = Field(default=None, ge=1)
    stationary: StationaryConfig = Field(default_factory=StationaryConfig)
    min_initialized: int | None = Field(default=None, ge=0)
    annotation_offset: int = 0

    ignored_keys: ClassVar[dict[str, str]] = {
        "min_initialized": "Roost's tracker starts objects by its own score history rules",
        "annotation_offset": "Roost's UI has no annotation timeline to offset",
    }

    @property
    def frames_until_gone(self) -> int:
        return self.max_disappeared if self.max_disappeared is not None else 2 * self.fps
