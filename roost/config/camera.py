"""`cameras.<name>`: a camera's streams and every section it inherits from the globals."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from roost.config.base import PolygonList, RoostModel

from roost.config.compat import (
    AudioConfig, AudioTranscriptionConfig, BirdseyeConfig, CameraMqttConfig, CameraUiConfig,
    FaceRecognitionConfig, GenaiConfig, LiveConfig, LprConfig, NotificationsConfig, OnvifConfig,
    SemanticSearchConfig, TimestampStyleConfig,
)
from roost.config.ffmpeg import FfmpegConfig
from roost.config.media import RecordConfig, ReviewConfig, RtmpConfig, SaveClipsConfig, SnapshotsConfig
from roost.config.motion_detect import DetectConfig, MotionConfig
from roost.config.objects import ObjectsConfig, ZoneConfig

#: Sections written at the top level that every camera inherits and may override key by key.
INHERITED_SECTIONS = (
    "ffmpeg", "objects", "motion", "detect", "record", "snapshots", "save_clips",
    "rtmp", "review", "audio", "live", "birdseye",
)


class CameraConfig(RoostModel):
    enabled: bool = True
    ffmpeg: FfmpegConfig
    # Frigate 0.8 wrote the detect size at camera level; it fills `detect` when that is unset.
    width: int | None = Field(default=None, ge=16, le=7680)
    height: int | None = Field(default=None, ge=16, le=4320)
    fps: int | None = Field(default=None, ge=1, le=60)
    mask: PolygonList = Field(default_factory=list)  # Frigate 0.8 spelling of motion.mask
    best_image_timeout: int = Field(default=60, ge=0)
    zones: dict[str, ZoneConfig] = Field(default_factory=dict)
    objects: ObjectsConfig = Field(default_factory=ObjectsConfig)
    motion: MotionConfig = Field(default_factory=MotionConfig)
    detect: DetectConfig = Field(default_factory=DetectConfig)
    record: RecordConfig = Field(default_factory=RecordConfig)
    save_clips: SaveClipsConfig = Field(default_factory=SaveClipsConfig)
    snapshots: SnapshotsConfig = Field(default_factory=SnapshotsConfig)
    rtmp: RtmpConfig = Field(default_factory=RtmpConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    audio: AudioConfig = Field(default_factory=AudioConfig)
    live: LiveConfig = Field(default_factory=LiveConfig)
    onvif: OnvifConfig = Field(default_factory=OnvifConfig)
    birdseye: BirdseyeConfig = Field(default_factory=BirdseyeConfig)
    # Current Frigate's per-camera keys: display-only ones are kept for clients, the
    # features Roost lacks are warned about (roost.config.unsupported).
    friendly_name: str | None = None
    webui_url: str | None = None
    type: Literal["generic", "lpr"] = "generic"
    ui: CameraUiConfig = Field(default_factory=CameraUiConfig)
    mqtt: CameraMqttConfig | None = None
    face_recognition: FaceRecognitionConfig | None = None
    lpr: LprConfig | None = None
    genai: GenaiConfig | None = None
    semantic_search: SemanticSearchConfig | None = None
    notifications: NotificationsConfig | None = None
    audio_transcription: AudioTranscriptionConfig | None = None
    timestamp_style: TimestampStyleConfig | None = None

    ignored_keys: ClassVar[dict[str, str]] = {"type": "license plate cameras (type: lpr) are not special in Roost"}

    @model_validator(mode="after")
    def _legacy_camera_keys(self) -> "CameraConfig":
        """Move Frigate 0.8 camera-level keys into the sections newer code reads."""
        if self.detect.width is None and self.width is not None:
            self.detect.width = self.width
        if self.detect.height is None and self.height is not None:
            self.detect.height = self.height
        if self.fps is not None and "fps" not in self.detect.model_fields_set:
            self.detect.fps = self.fps
        if self.mask and not self.motion.mask:
            self.motion.mask = list(self.mask)
        self.record.by_severity(self.review.alerts.labels)
        return self

    @property
    def frame_shape(self) -> tuple[int, int]:
        """(height, width) of the detect stream; validated present at load time."""
        assert self.detect.height is not None and self.detect.width is not None
        return (self.detect.height, self.detect.width)
