"""Where a config key path sits in the YAML text: ruamel.yaml's round-trip loader keeps the
line of every key and list item, so the editor can show an error at the line the user wrote."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError


def parse_round_trip(text: str) -> Any:
    """The document with line info; raises ruamel's MarkedYAMLError on bad YAML."""
    return YAML().load(text)


def syntax_error_line(error: Exception) -> int | None:
    """1-based line of a YAML syntax error (ruamel's or PyYAML's marks), when it has one."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def line_of(document: Any, path: str) -> int | None:
    """1-based line of the deepest part of the dotted `path` present in `document`
    (a key that is missing points at its parent, where it belongs)."""
    node = document
    line: int | None = None
    for part in [p for p in path.split(".") if p]:
        if isinstance(node, CommentedMap):
            matches = [k for k in node if str(k) == part]  # int keys (zone names like 1) too
            if not matches:
                break
            key: Any = matches[0]
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and part.isdigit() and int(part) < len(node):
            line = node.lc.item(int(part))[0] + 1
            node = node[int(part)]
        else:
            break
    return line


__all__ = ["MarkedYAMLError", "line_of", "parse_round_trip", "syntax_error_line"]
