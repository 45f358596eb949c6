"""What Roost keeps: `record:`, `save_clips:` (older Frigate), `snapshots:`, `rtmp:`, `review:`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from roost.config.base import RoostModel, StrList

RetainMode = Literal["all", "motion", "active_objects"]


class RetainDaysConfig(RoostModel):
    """Days to keep event media, by default and per object label."""

    default: float = Field(default=10, ge=0)
    mode: RetainMode = "motion"
    objects: dict[str, float] = Field(default_factory=dict)

    def days_for(self, label: str) -> float:
        return self.objects.get(label, self.default)


class RecordRetainConfig(RoostModel):
    days: float = Field(default=0, ge=0)
    mode: RetainMode = "all"


class RecordEventsConfig(RoostModel):
    pre_capture: int = Field(default=5, ge=0, le=60)
    post_capture: int = Field(default=5, ge=0, le=300)
    objects: StrList | None = None  # None: every tracked label
    required_zones: StrList = Field(default_factory=list)
    retain: RetainDaysConfig = Field(default_factory=RetainDaysConfig)


class RecordConfig(RoostModel):
    enabled: bool = False
    retain_days: float | None = Field(default=None, ge=0)  # Frigate 0.8 spelling of retain.days
    expire_interval: int = Field(default=60, ge=1)  # minutes between retention sweeps
    retain: RecordRetainConfig = Field(default_factory=RecordRetainConfig)
    events: RecordEventsConfig = Field(default_factory=RecordEventsConfig)

    @model_validator(mode="after")
    def _legacy_retain_days(self) -> "RecordConfig":
        if self.retain_days is not None and "days" not in self.retain.model_fields_set:
            self.retain.days = self.retain_days
        return self


class SaveClipsConfig(RoostModel):
    """Frigate 0.8's event clips; global keys (`max_seconds`, `tmpfs_cache_size`) and camera
    keys share one model so the global section can be inherited by cameras."""

    enabled: bool = False
    max_seconds: int = Field(default=300, ge=1)
    tmpfs_cache_size: str | None = None
    pre_capture: int = Field(default=5, ge=0, le=60)
    post_capture: int = Field(default=5, ge=0, le=300)
    objects: StrList | None = None
    required_zones: StrList = Field(default_factory=list)
    retain: RetainDaysConfig = Field(default_factory=RetainDaysConfig)


class SnapshotsConfig(RoostModel):
    """Snapshot options, in both Frigate 0.8 names (`show_timestamp`, `draw_bounding_boxes`,
    `crop_to_region`) and current ones (`timestamp`, `bounding_box`, `crop`). When both are
    written the current name wins; the resolved values are the `*_resolved` properties."""

    enabled: bool = False
    clean_copy: bool = True
    timestamp: bool | None = None
    show_timestamp: bool | None = None
    bounding_box: bool | None = None
    draw_bounding_boxes: bool | None = None
    crop: bool | None = None
    crop_to_region: bool | None = None
    draw_zones: bool = False
    height: int | None = Field(default=None, ge=16, le=4320)
    quality: int = Field(default=70, ge=1, le=100)
    required_zones: StrList = Field(default_factory=list)
    retain: RetainDaysConfig = Field(default_factory=RetainDaysConfig)

    @property
    def timestamp_resolved(self) -> bool:
        return _first_set(self.timestamp, self.show_timestamp, default=False)

    @property
    def bounding_box_resolved(self) -> bool:
        return _first_set(self.bounding_box, self.draw_bounding_boxes, default=True)

    @property
    def crop_resolved(self) -> bool:
        return _first_set(self.crop, self.crop_to_region, default=False)


def _first_set(*values: bool | None, default: bool) -> bool:
    return next((v for v in values if v is not None), default)


class RtmpConfig(RoostModel):
    enabled: bool = False


class ReviewLevelConfig(RoostModel):
    labels: StrList | None = None  # None: every tracked label
    required_zones: StrList = Field(default_factory=list)
    enabled: bool = True


class ReviewConfig(RoostModel):
    alerts: ReviewLevelConfig = Field(default_factory=lambda: ReviewLevelConfig(labels=["person", "car"]))
    detections: ReviewLevelConfig = Field(default_factory=ReviewLevelConfig)
