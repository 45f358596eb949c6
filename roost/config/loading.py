"""Reading a config file: YAML or JSON, `{FRIGATE_*}` substitution, inheritance, validation.

`load_config` is the one entry point; every problem found is raised together in one
`ConfigError`, each naming its key path.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from roost.config.camera import INHERITED_SECTIONS
from roost.config.checks import cross_checks
from roost.config.errors import ConfigError, ConfigIssue, issue_from_pydantic
from roost.config.root import RoostConfig
from roost.config.unsupported import unsupported_feature_warnings

logger = logging.getLogger(__name__)

ENV_REFERENCE = re.compile(r"\{(FRIGATE_[A-Za-z0-9_]+)\}")


@dataclass
class LoadedConfig:
    """A validated config and where it came from. `secrets` holds every value that came
    from an environment variable, so the effective config can mask them."""

    config: RoostConfig
    source: Path | None  # None: the built-in demo config
    secrets: set[str] = field(default_factory=set)
    warnings: list[ConfigIssue] = field(default_factory=list)


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse YAML (.yml/.yaml) or JSON (.json, or any file whose text starts with `{`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([ConfigIssue("", f"cannot read config file: {error.strerror}")], str(path)) from None
    try:
        if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
            raw = json.loads(text) if text.strip() else None
        else:
            raw = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise ConfigError([ConfigIssue("", f"not valid YAML/JSON: {error}")], str(path)) from None
    if not isinstance(raw, dict):
        raise ConfigError([ConfigIssue("", "the config must be a mapping of sections (logger, mqtt, cameras, ...)",
                                       type(raw).__name__)], str(path))
    return raw


def substitute_env(raw: Any, path: str = "") -> tuple[Any, set[str], list[ConfigIssue]]:
    """Replace `{FRIGATE_*}` references in every string, as Frigate does in paths and
    passwords. Returns the new tree, the substituted values (secrets) and missing variables."""
    secrets: set[str] = set()
    issues: list[ConfigIssue] = []

    def visit(node: Any, where: str) -> Any:
        if isinstance(node, dict):
            return {k: visit(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [visit(v, f"{where}.{i}") for i, v in enumerate(node)]
        if isinstance(node, str) and "{FRIGATE_" in node:
            def replace(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in os.environ:
                    issues.append(ConfigIssue(where, f"environment variable {name} is not set", match.group(0)))
                    return match.group(0)
                secrets.add(os.environ[name])
                return os.environ[name]
            return ENV_REFERENCE.sub(replace, node)
        return node

    return visit(raw, path), secrets, issues


def drop_empty(node: Any) -> Any:
    """Remove keys written with no value (`global_args:`): in Frigate's configs an empty key
    means "inherit / default", as its full example shows."""
    if isinstance(node, dict):
        return {k: drop_empty(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [drop_empty(v) for v in node]
    return node


def deep_merge(base: Any, override: Any) -> Any:
    """`override` wins key by key; nested mappings merge; lists and scalars replace."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return copy.deepcopy(override)


def inherit_globals(raw: dict[str, Any]) -> dict[str, Any]:
    """Give each camera the global sections, overridden by what the camera sets."""
    cameras = raw.get("cameras")
    if not isinstance(cameras, dict):
        return raw
    merged_cameras: dict[str, Any] = {}
    for name, camera in cameras.items():
        if not isinstance(camera, dict):
            merged_cameras[name] = camera
            continue
        camera = dict(camera)
        for section in INHERITED_SECTIONS:
            if isinstance(raw.get(section), dict):
                camera[section] = deep_merge(copy.deepcopy(raw[section]), camera.get(section) or {})
        merged_cameras[name] = camera
    return {**raw, "cameras": merged_cameras}


def validate_raw(raw: dict[str, Any], source: Path | None = None) -> LoadedConfig:
    """Validate a parsed config tree; raise ConfigError with every problem at once."""
    where = str(source) if source else None
    env_vars = raw.get("environment_vars")
    if isinstance(env_vars, dict):
        os.environ.update({str(k): str(v) for k, v in env_vars.items()})
    substituted, secrets, issues = substitute_env(drop_empty(raw))
    # Pass 1 checks the file as written, so errors (and warnings about ignored keys)
    # carry the path the user wrote.
    ignored: list[ConfigIssue] = []
    try:
        ignored = unsupported_feature_warnings(RoostConfig.model_validate(substituted))
    except ValidationError as error:
        issues += [issue_from_pydantic(e) for e in error.errors(include_url=False)]
    if issues:
        raise ConfigError(issues, where)
    # Pass 2 validates each camera with the globals it inherits, then cross-key checks.
    try:
        config = RoostConfig.model_validate(inherit_globals(substituted))
    except ValidationError as error:
        raise ConfigError([issue_from_pydantic(e) for e in error.errors(include_url=False)], where) from None
    issues, warnings = cross_checks(config)
    if issues:
        raise ConfigError(issues, where)
    return LoadedConfig(config=config, source=source, secrets=secrets, warnings=ignored + warnings)


def load_config(path: Path) -> LoadedConfig:
    """Load and validate the config file at `path`."""
    return validate_raw(read_config_file(path), path)
