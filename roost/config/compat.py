"""Frigate sections that Home Assistant reads from `/api/config` but Roost does not act on.

They are modelled with the keys the integration reads (so `/api/config` always carries
them, false/empty where Roost has no such feature) and accept the rest of Frigate's keys,
so a user's existing config loads; the supervisor warns when one is switched on.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from roost.config.base import ForeignSection, RoostModel, StrList


class AudioConfig(RoostModel):
    enabled: bool = False
    listen: StrList = Field(default_factory=lambda: ["bark", "fire_alarm", "scream", "speech", "yell"])
    max_not_heard: int = 30
    min_volume: int = 500
    num_threads: int = 2
    filters: dict[str, Any] | None = None


class LiveConfig(RoostModel):
    streams: dict[str, str] = Field(default_factory=dict)
    height: int = 720
    quality: int = 8


class AutotrackingConfig(ForeignSection):
    enabled: bool = False


class OnvifConfig(ForeignSection):
    host: str = ""
    port: int = 8000
    user: str | None = None
    password: str | None = None
    autotracking: AutotrackingConfig = Field(default_factory=AutotrackingConfig)


class BirdseyeConfig(ForeignSection):
    enabled: bool = False
    restream: bool = False


class Go2rtcConfig(ForeignSection):
    streams: dict[str, Any] = Field(default_factory=dict)


class FaceRecognitionConfig(ForeignSection):
    enabled: bool = False


class LprConfig(ForeignSection):
    enabled: bool = False
    known_plates: dict[str, Any] = Field(default_factory=dict)


#: Top-level Frigate sections accepted as-is (nothing Home Assistant reads from them).
PASSTHROUGH_SECTIONS = (
    "semantic_search", "genai", "telemetry", "ui", "notifications", "tls", "proxy",
    "timestamp_style", "camera_groups", "networking", "version",
)
