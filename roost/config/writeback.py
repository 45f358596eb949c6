"""Changing the config file at run time (Frigate's `PUT /api/config/set`): the change is
merged into the file with ruamel.yaml's round trip, so the user's comments, order and
layout stay; the whole result is validated first and written atomically only when valid."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from roost.config.errors import ConfigError, ConfigIssue
from roost.config.loading import LoadedConfig, validate_raw

DELETE = None  # a value of null in a change removes the key


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dotted_to_nested(changes: dict[str, Any]) -> dict[str, Any]:
    """`{"classification.custom.door.threshold": 0.9}` → nested dicts."""
    nested: dict[str, Any] = {}
    for key, value in changes.items():
        parts = [p for p in key.split(".") if p]
        if not parts:
            raise ConfigError([ConfigIssue(key, "empty key path")])
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError([ConfigIssue(key, "conflicts with another change of the same request")])
        node[parts[-1]] = value
    return nested


def _merge(target: CommentedMap, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is DELETE:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def apply_change(path: Path, changes: dict[str, Any]) -> LoadedConfig:
    """Merge `changes` (nested) into the YAML file at `path`, validate, write, and return
    the new config. Raises ConfigError (file untouched) when the result is invalid."""
    if path.suffix.lower() == ".json":
        raise ConfigError([ConfigIssue("", "run-time changes are written to YAML configs only")], str(path))
    yaml = _yaml()
    document = yaml.load(path.read_text(encoding="utf-8")) or CommentedMap()
    _merge(document, changes)
    loaded = validate_raw(_plain(document), path)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(buffer.getvalue())
    os.replace(temporary, path)
    return loaded
