"""Shared building blocks of the config models: strictness, argument lists, polygons."""

from __future__ import annotations

import shlex
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict


class RoostModel(BaseModel):
    """Base of every config section: unknown keys are errors, as the issue asks, so a typo
    in a Frigate config is reported instead of silently ignored.

    `ignored_keys` names Frigate keys of this section that validate but that Roost does not
    act on, each with the reason; a config that sets one gets a warning naming its path."""

    model_config = ConfigDict(extra="forbid", validate_default=True)
    ignored_keys: ClassVar[dict[str, str]] = {}


class ForeignSection(BaseModel):
    """A Frigate section Roost accepts so a carried-over config loads, but does not act on
    beyond the keys declared. `feature` says what Roost lacks; a config that has the section
    (and does not set `enabled: false`) gets one warning naming it. An empty `feature`
    means the section is only read by clients (e.g. `go2rtc.streams`): no warning."""

    model_config = ConfigDict(extra="allow")
    feature: ClassVar[str] = ""


def _to_arg_list(value: Any) -> list[str]:
    """Frigate takes ffmpeg args "as a string or an array"; a string is split like a shell."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as error:
            raise ValueError(f"cannot split into ffmpeg arguments: {error}") from error
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise ValueError("expected ffmpeg arguments as a string or a list of strings")


ArgList = Annotated[list[str], BeforeValidator(_to_arg_list)]


def _to_str_list(value: Any) -> list[str]:
    """Frigate lists may be written as YAML lists or as one comma-separated string."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError("expected a list of strings or a comma-separated string")


StrList = Annotated[list[str], BeforeValidator(_to_str_list)]

Point = tuple[float, float]


def parse_polygon(value: Any) -> list[Point]:
    """Parse Frigate's polygon spellings into `[(x, y), ...]`.

    Accepted: `"x1,y1,x2,y2,..."`, the same with a `poly,` prefix (masks), a list of
    `"x,y"` strings, a list of numbers, or a list of `[x, y]` pairs. Coordinates are either
    detect-resolution pixels or relative 0–1 values (newer Frigate UIs write those); which
    one is decided by the camera, which knows the frame size.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("poly,"):
            text = text[len("poly,"):]
        elif text.split(",", 1)[0] in ("base64", "image"):
            raise ValueError("image and base64 masks are not supported; use a poly mask")
        parts: list[Any] = [p for p in text.split(",") if p.strip()]
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        parts = [p for item in value for p in item.split(",") if p.strip()]
    elif isinstance(value, list) and value and all(isinstance(v, (list, tuple)) for v in value):
        parts = [c for pair in value for c in pair]
    elif isinstance(value, list):
        parts = list(value)
    else:
        raise ValueError("expected polygon coordinates like '0,0,100,0,100,100'")
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError):
        raise ValueError("polygon coordinates must be numbers: 'x1,y1,x2,y2,...'") from None
    if len(numbers) % 2:
        raise ValueError(f"polygon needs x,y pairs but has an odd count of numbers ({len(numbers)})")
    points = [(numbers[i], numbers[i + 1]) for i in range(0, len(numbers), 2)]
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
    if any(x < 0 or y < 0 for x, y in points):
        raise ValueError("polygon coordinates must not be negative")
    return points


def is_relative(points: list[Point]) -> bool:
    """Relative (0–1) coordinates: every value ≤ 1, as Frigate decides it (so the whole
    frame, `0,0,1,0,1,1,0,1`, is relative; no pixel polygon fits in one pixel)."""
    return all(c <= 1.0 for point in points for c in point)


Polygon = Annotated[list[Point], BeforeValidator(parse_polygon)]


def _to_polygon_list(value: Any) -> list[list[Point]]:
    """Masks: one polygon string or a list of them (each `poly,...` or plain coordinates)."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str):
        return [parse_polygon(value)]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if all("," in v for v in value) and all(v.count(",") >= 5 or v.startswith("poly") for v in value):
            return [parse_polygon(v) for v in value]
        return [parse_polygon(value)]
    if isinstance(value, dict):  # newer Frigate: {mask_name: {coordinates: ...}}
        return [parse_polygon(v.get("coordinates") if isinstance(v, dict) else v) for v in value.values()]
    raise ValueError("expected a mask as 'poly,x1,y1,...' or a list of such strings")


PolygonList = Annotated[list[list[Point]], BeforeValidator(_to_polygon_list)]
