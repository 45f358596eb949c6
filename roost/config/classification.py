"""`classification.custom.<model>`: state models (fixed crops) and object models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from roost.config.base import RoostModel, StrList

STATE_SAVE_ATTEMPTS = 100
OBJECT_SAVE_ATTEMPTS = 200


class StateCameraConfig(RoostModel):
    """`crop: [x1, y1, x2, y2]`, normalized 0–1 (Frigate's UI) or detect-resolution pixels
    (older docs); which one is decided against the camera's frame size."""

    crop: tuple[float, float, float, float]

    @field_validator("crop")
    @classmethod
    def _ordered(cls, crop: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = crop
        if min(crop) < 0:
            raise ValueError("crop coordinates must not be negative")
        if not (x2 > x1 and y2 > y1):
            raise ValueError("crop must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1")
        return crop

    @property
    def is_normalized(self) -> bool:
        return max(self.crop) <= 1.0

    def crop_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        x1, y1, x2, y2 = self.crop
        if self.is_normalized:
            return (round(x1 * width), round(y1 * height), round(x2 * width), round(y2 * height))
        return (int(x1), int(y1), int(x2), int(y2))


class StateClassificationConfig(RoostModel):
    cameras: dict[str, StateCameraConfig] = Field(min_length=1)
    motion: bool = False
    interval: int | None = Field(default=None, ge=1)


class ObjectClassificationConfig(RoostModel):
    objects: StrList = Field(min_length=1)
    classification_type: Literal["sub_label", "attribute"] = "sub_label"
    min_area: int = Field(default=0, ge=0)  # Roost: skip objects smaller than this (px²)


class CustomClassificationConfig(RoostModel):
    enabled: bool = True
    name: str | None = None
    threshold: float = Field(default=0.8, ge=0, le=1)
    save_attempts: int | None = Field(default=None, ge=0, le=10000)
    state_config: StateClassificationConfig | None = None
    object_config: ObjectClassificationConfig | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> "CustomClassificationConfig":
        if (self.state_config is None) == (self.object_config is None):
            raise ValueError("a custom classification model needs exactly one of state_config or object_config")
        return self

    @property
    def save_attempts_resolved(self) -> int:
        if self.save_attempts is not None:
            return self.save_attempts
        return STATE_SAVE_ATTEMPTS if self.state_config is not None else OBJECT_SAVE_ATTEMPTS


class BirdClassificationConfig(RoostModel):
    enabled: bool = False
    threshold: float = Field(default=0.9, ge=0, le=1)


class ClassificationConfig(RoostModel):
    bird: BirdClassificationConfig = Field(default_factory=BirdClassificationConfig)
    custom: dict[str, CustomClassificationConfig] = Field(default_factory=dict)

    @field_validator("custom")
    @classmethod
    def _model_names(cls, custom: dict[str, CustomClassificationConfig]) -> dict[str, CustomClassificationConfig]:
        import re

        for name in custom:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
                raise ValueError(f"model name {name!r} may only use letters, digits, '_' and '-'")
        return custom
