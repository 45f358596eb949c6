"""Configuration: pydantic models mirroring Frigate's YAML keys, loading and errors."""

from roost.config.camera import CameraConfig
from roost.config.errors import ConfigError, ConfigIssue
from roost.config.loading import LoadedConfig, load_config, validate_raw
from roost.config.root import RoostConfig

__all__ = [
    "CameraConfig", "ConfigError", "ConfigIssue", "LoadedConfig", "RoostConfig",
    "load_config", "validate_raw",
]
