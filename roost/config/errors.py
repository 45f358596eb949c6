"""Config errors that name the key path, the bad value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import ErrorDetails

_MISSING = object()


@dataclass(frozen=True)
class ConfigIssue:
    path: str  # dotted key path, list indexes as numbers: cameras.back.ffmpeg.inputs.0.path
    message: str  # what was expected
    value: Any = _MISSING  # the offending value, when there is one

    def __str__(self) -> str:
        where = self.path or "<config>"
        if self.value is _MISSING:
            return f"{where}: {self.message}"
        shown = repr(self.value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        return f"{where}: {self.message} (got {shown})"


class ConfigError(Exception):
    """All problems of one config file at once, so the user fixes them in one go."""

    def __init__(self, issues: list[ConfigIssue], source: str | None = None) -> None:
        self.issues = issues
        self.source = source
        super().__init__(self.report())

    def report(self) -> str:
        head = f"Invalid config{f' {self.source}' if self.source else ''}: {len(self.issues)} error(s)"
        return "\n".join([head, *(f"  - {issue}" for issue in self.issues)])


def issue_from_pydantic(error: ErrorDetails, prefix: tuple[Any, ...] = ()) -> ConfigIssue:
    """Turn one pydantic error into a ConfigIssue with user wording."""
    loc = [str(p) for p in (*prefix, *error["loc"])]
    kind = error["type"]
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind == "extra_forbidden":
        return ConfigIssue(".".join(loc), "unknown key (check the spelling against the documentation)")
    if kind == "missing":
        return ConfigIssue(".".join(loc), "required key is missing")
    return ConfigIssue(".".join(loc), message, error.get("input", _MISSING))
