"""Warnings for Frigate keys a config sets that Roost accepts but does not act on.

Two kinds, both found by walking the config as the user wrote it (before globals are
copied into cameras, so a global section is reported once, at its own path):
- sections of features Roost lacks (`roost.config.compat`, a `ForeignSection` with a
  `feature`): one warning per section present, unless it says `enabled: false`;
- single keys a section lists in `ignored_keys`, when set to something else than the default.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from roost.config.base import ForeignSection, RoostModel
from roost.config.errors import ConfigIssue


def unsupported_feature_warnings(config: BaseModel) -> list[ConfigIssue]:
    """Every ignored section or key that `config` (as written) sets, with its key path."""
    warnings: list[ConfigIssue] = []
    _walk(config, "", warnings)
    return warnings


def _walk(node: Any, path: str, warnings: list[ConfigIssue]) -> None:
    if isinstance(node, ForeignSection):
        if node.feature and getattr(node, "enabled", None) is not False:
            warnings.append(ConfigIssue(path, f"Roost does not implement {node.feature}; this section is "
                                        "accepted and ignored"))
        return
    if isinstance(node, BaseModel):
        ignored = node.ignored_keys if isinstance(node, RoostModel) else {}
        fields = type(node).model_fields
        for key in sorted(node.model_fields_set, key=list(fields).index if fields else None):
            value = getattr(node, key)
            where = f"{path}.{key}" if path else key
            if key in ignored:
                if value != fields[key].get_default(call_default_factory=True):
                    warnings.append(ConfigIssue(where, f"is accepted and ignored: {ignored[key]}"))
                continue
            _walk(value, where, warnings)
    elif isinstance(node, dict):
        for key, value in node.items():
            _walk(value, f"{path}.{key}", warnings)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, f"{path}.{index}", warnings)
