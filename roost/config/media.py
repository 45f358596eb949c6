"""What Roost keeps: `record:`, `save_clips:` (older Frigate), `snapshots:`, `rtmp:`, `review:`."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from roost.config.base import RoostModel, StrList
from roost.config.compat import GenaiConfig

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


class ReviewRetainConfig(RoostModel):
    days: float = Field(default=10, ge=0)
    mode: RetainMode = "motion"


class SeverityRecordConfig(RoostModel):
    """Frigate 0.14+'s `record.alerts` / `record.detections`: clip padding and retention of
    the recordings of review items of that severity."""

    pre_capture: int = Field(default=5, ge=0, le=60)
    post_capture: int = Field(default=5, ge=0, le=300)
    retain: ReviewRetainConfig = Field(default_factory=ReviewRetainConfig)


class RecordExportConfig(RoostModel):
    timelapse_args: str = "-vf setpts=0.04*PTS -r 30"


class RecordPreviewConfig(RoostModel):
    quality: Literal["very_low", "low", "medium", "high", "very_high"] = "medium"


class RecordConfig(RoostModel):
    enabled: bool = False
    retain_days: float | None = Field(default=None, ge=0)  # Frigate 0.8 spelling of retain.days
    expire_interval: int = Field(default=60, ge=1)  # minutes between retention sweeps
    sync_recordings: bool = False
    retain: RecordRetainConfig = Field(default_factory=RecordRetainConfig)
    events: RecordEventsConfig = Field(default_factory=RecordEventsConfig)
    alerts: SeverityRecordConfig = Field(default_factory=SeverityRecordConfig)
    detections: SeverityRecordConfig = Field(default_factory=SeverityRecordConfig)
    export: RecordExportConfig = Field(default_factory=RecordExportConfig)
    preview: RecordPreviewConfig = Field(default_factory=RecordPreviewConfig)

    ignored_keys: ClassVar[dict[str, str]] = {
        "sync_recordings": "Roost reconciles recordings with the disk at every start anyway",
        "export": "Roost exports play at normal speed only (no timelapse_args)",
        "preview": "Roost renders previews on request at one quality",
    }

    def by_severity(self, alert_labels: list[str] | None) -> None:
        """Honour `alerts`/`detections` (Frigate 0.14+) through `events`, which Roost's clips
        and retention read, unless `events` is written too (older configs): clips are padded
        by the larger pre/post capture of the two (a clip serves both severities), event
        media of alert labels (`review.alerts.labels`) is kept `alerts.retain.days`, the
        rest `detections.retain.days`."""
        written = self.model_fields_set
        if "events" in written or not {"alerts", "detections"} & written:
            return
        alerts, detections = self.alerts, self.detections
        self.events.pre_capture = max(alerts.pre_capture, detections.pre_capture)
        self.events.post_capture = max(alerts.post_capture, detections.post_capture)
        self.events.retain.default = detections.retain.days
        self.events.retain.mode = detections.retain.mode
        for label in alert_labels or []:
            self.events.retain.objects.setdefault(label, alerts.retain.days)

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
    cutoff_time: int | None = Field(default=None, ge=0)

    ignored_keys: ClassVar[dict[str, str]] = {
        "cutoff_time": "Roost ends a review item a fixed 5 s after its last activity"}


class ReviewConfig(RoostModel):
    alerts: ReviewLevelConfig = Field(default_factory=lambda: ReviewLevelConfig(labels=["person", "car"]))
    detections: ReviewLevelConfig = Field(default_factory=ReviewLevelConfig)
    genai: GenaiConfig | None = None  # Frigate: review item descriptions (not in Roost)
