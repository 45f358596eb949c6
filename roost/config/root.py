"""`RoostConfig`: the whole config file, Frigate's top-level keys plus Roost's `api`."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from roost.config.base import RoostModel
from roost.config.camera import CameraConfig
from roost.config.classification import ClassificationConfig
from roost.config.compat import (
    AudioConfig, AudioTranscriptionConfig, BirdseyeConfig, FaceRecognitionConfig, GenaiConfig, Go2rtcConfig,
    LiveConfig, LprConfig, NetworkingConfig, NotificationsConfig, ProxyConfig, SemanticSearchConfig,
    TelemetryConfig, TimestampStyleConfig, TlsConfig, UiConfig,
)
from roost.config.ffmpeg import FfmpegConfig
from roost.config.media import RecordConfig, ReviewConfig, RtmpConfig, SaveClipsConfig, SnapshotsConfig
from roost.config.motion_detect import DetectConfig, MotionConfig
from roost.config.objects import ObjectsConfig
from roost.config.services import (
    ApiConfig, AuthConfig, DatabaseConfig, DetectorConfig, LoggerConfig, ModelConfig, MqttConfig,
)


def _default_detectors() -> dict[str, DetectorConfig]:
    return {"cpu": DetectorConfig(type="cpu")}


class RoostConfig(RoostModel):
    logger: LoggerConfig = Field(default_factory=LoggerConfig)
    environment_vars: dict[str, str] = Field(default_factory=dict)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    detectors: dict[str, DetectorConfig] = Field(default_factory=_default_detectors, min_length=1)
    model: ModelConfig = Field(default_factory=ModelConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)

    # Global defaults every camera inherits (see camera.INHERITED_SECTIONS).
    ffmpeg: FfmpegConfig = Field(default_factory=FfmpegConfig)
    objects: ObjectsConfig = Field(default_factory=ObjectsConfig)
    motion: MotionConfig = Field(default_factory=MotionConfig)
    detect: DetectConfig = Field(default_factory=DetectConfig)
    record: RecordConfig = Field(default_factory=RecordConfig)
    snapshots: SnapshotsConfig = Field(default_factory=SnapshotsConfig)
    save_clips: SaveClipsConfig = Field(default_factory=SaveClipsConfig)
    rtmp: RtmpConfig = Field(default_factory=RtmpConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    audio: AudioConfig = Field(default_factory=AudioConfig)
    live: LiveConfig = Field(default_factory=LiveConfig)
    birdseye: BirdseyeConfig = Field(default_factory=BirdseyeConfig)

    go2rtc: Go2rtcConfig = Field(default_factory=Go2rtcConfig)
    face_recognition: FaceRecognitionConfig = Field(default_factory=FaceRecognitionConfig)
    lpr: LprConfig = Field(default_factory=LprConfig)
    classification: ClassificationConfig = Field(default_factory=ClassificationConfig)

    cameras: dict[str, CameraConfig] = Field(min_length=1)

    # Frigate sections accepted for compatibility and not acted on (warned about at start,
    # see roost.config.unsupported), and display-only ones (ui, camera_groups).
    semantic_search: SemanticSearchConfig | None = None
    genai: GenaiConfig | None = None
    audio_transcription: AudioTranscriptionConfig | None = None
    telemetry: TelemetryConfig | None = None
    ui: UiConfig | None = None
    notifications: NotificationsConfig | None = None
    tls: TlsConfig | None = None
    proxy: ProxyConfig | None = None
    timestamp_style: TimestampStyleConfig | None = None
    camera_groups: dict[str, Any] | None = None
    networking: NetworkingConfig | None = None
    safe_mode: bool = False
    version: str | None = None

    ignored_keys: ClassVar[dict[str, str]] = {"safe_mode": "Roost has no safe mode; it always starts everything"}

    def tracked_labels(self) -> set[str]:
        """Every label some camera tracks."""
        return {label for camera in self.cameras.values() for label in camera.objects.track}
