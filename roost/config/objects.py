"""`objects:`, object filters and `zones:`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from roost.config.base import Polygon, PolygonList, RoostModel, StrList
from roost.config.compat import GenaiConfig

DEFAULT_MAX_AREA = 24_000_000


class FilterConfig(RoostModel):
    """Frigate's object filters. `min_score` drops single detections (they become 0.0 in
    the score history); `threshold` applies to the median of that history."""

    min_area: float = Field(default=0, ge=0)
    max_area: float = Field(default=DEFAULT_MAX_AREA, ge=0)
    min_ratio: float = Field(default=0.0, ge=0)
    max_ratio: float = Field(default=24_000_000.0, ge=0)
    min_score: float = Field(default=0.5, ge=0, le=1)
    threshold: float = Field(default=0.7, ge=0, le=1)
    mask: PolygonList = Field(default_factory=list)

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> "FilterConfig":
        if self.max_area < self.min_area:
            raise ValueError(f"max_area ({self.max_area}) is smaller than min_area ({self.min_area})")
        if self.max_ratio < self.min_ratio:
            raise ValueError(f"max_ratio ({self.max_ratio}) is smaller than min_ratio ({self.min_ratio})")
        return self


class ObjectsConfig(RoostModel):
    track: StrList = Field(default_factory=lambda: ["person"])
    filters: dict[str, FilterConfig] = Field(default_factory=dict)
    mask: PolygonList = Field(default_factory=list)
    genai: GenaiConfig | None = None  # Frigate: descriptions of tracked objects (not in Roost)

    def filter_for(self, label: str) -> FilterConfig:
        """The configured filter for `label`, or Frigate's defaults."""
        return self.filters.get(label) or FilterConfig()


class ZoneConfig(RoostModel):
    """A polygon of the detect frame; an object is in the zone when its bottom-centre is."""

    coordinates: Polygon
    filters: dict[str, FilterConfig] = Field(default_factory=dict)
    objects: StrList = Field(default_factory=list)  # empty: every tracked label counts
    inertia: int = Field(default=3, ge=1)
    loitering_time: int = Field(default=0, ge=0)
    friendly_name: str | None = None
    speed_threshold: float | None = Field(default=None, ge=0)
    distances: StrList = Field(default_factory=list)

    ignored_keys: ClassVar[dict[str, str]] = {
        "speed_threshold": "Roost has no speed estimation",
        "distances": "Roost has no speed estimation",
    }
