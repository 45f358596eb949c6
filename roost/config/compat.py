"""Frigate sections Roost accepts but does not implement (yet), and the sections Home
Assistant reads from `/api/config` for features Roost does not have.

Each is modelled with the keys the integration reads (so `/api/config` always carries
them, false/empty where Roost has no such feature) and accepts the rest of Frigate's keys,
so a user's existing config loads. Every section here names the `feature` Roost lacks;
`roost.config.unsupported` turns a configured one into one warning at start.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from roost.config.base import ForeignSection, StrList


class AudioConfig(ForeignSection):
    feature: ClassVar[str] = "audio detection"
    enabled: bool = False
    listen: StrList = Field(default_factory=lambda: ["bark", "fire_alarm", "scream", "speech", "yell"])
    max_not_heard: int = 30
    min_volume: int = 500
    num_threads: int = 2
    filters: dict[str, Any] | None = None


class LiveConfig(ForeignSection):
    """`live:` of a camera. Frigate 0.14 names one go2rtc stream (`stream_name`); 0.15+
    maps display names to streams (`streams: {Main: front, Sub: front_sub}`). Both are
    kept; `streams` gets `{stream_name: stream_name}` when only the old key is written,
    which is what Home Assistant reads to play `rtsp://<host>:8554/<stream>`."""

    streams: dict[str, str] = Field(default_factory=dict)
    stream_name: str | None = None
    height: int = 720
    quality: int = 8

    @model_validator(mode="after")
    def _streams_from_stream_name(self) -> "LiveConfig":
        if self.stream_name and not self.streams:
            self.streams = {self.stream_name: self.stream_name}
        return self


class AutotrackingConfig(ForeignSection):
    enabled: bool = False


class OnvifConfig(ForeignSection):
    feature: ClassVar[str] = "ONVIF PTZ control and autotracking"
    host: str = ""
    port: int = 8000
    user: str | None = None
    password: str | None = None
    autotracking: AutotrackingConfig = Field(default_factory=AutotrackingConfig)


class BirdseyeConfig(ForeignSection):
    feature: ClassVar[str] = "the birdseye view"
    enabled: bool = False
    restream: bool = False


class Go2rtcConfig(ForeignSection):
    """Kept whole in the effective config: Home Assistant and the restream read `streams`."""

    streams: dict[str, Any] = Field(default_factory=dict)


class FaceRecognitionConfig(ForeignSection):
    feature: ClassVar[str] = "face recognition"
    enabled: bool = False


class LprConfig(ForeignSection):
    feature: ClassVar[str] = "license plate recognition"
    enabled: bool = False
    known_plates: dict[str, Any] = Field(default_factory=dict)


class SemanticSearchConfig(ForeignSection):
    feature: ClassVar[str] = "semantic search"
    enabled: bool = False


class GenaiConfig(ForeignSection):
    feature: ClassVar[str] = "generative AI descriptions"
    enabled: bool = False


class AudioTranscriptionConfig(ForeignSection):
    feature: ClassVar[str] = "audio transcription"
    enabled: bool = False


class NotificationsConfig(ForeignSection):
    feature: ClassVar[str] = "web push notifications"
    enabled: bool = False


class TlsConfig(ForeignSection):
    feature: ClassVar[str] = "TLS on the authenticated port (put a reverse proxy in front)"
    enabled: bool = False


class ProxyConfig(ForeignSection):
    feature: ClassVar[str] = "authentication by a reverse proxy's headers"


class TelemetryConfig(ForeignSection):
    feature: ClassVar[str] = "telemetry options (GPU/network stats, version check)"


class TimestampStyleConfig(ForeignSection):
    feature: ClassVar[str] = "timestamp styles (Roost draws timestamps in one style)"


class NetworkingConfig(ForeignSection):
    feature: ClassVar[str] = "networking options (IPv6 listeners)"


class UiConfig(ForeignSection):
    """Display preferences of Frigate's own web UI; served in `/api/config`, no warning."""


class CameraUiConfig(ForeignSection):
    """`cameras.<c>.ui` (order, dashboard): display preferences; no warning."""


class CameraMqttConfig(ForeignSection):
    feature: ClassVar[str] = "per-camera MQTT snapshot options (Roost publishes its snapshot as stored)"
    enabled: bool = True
