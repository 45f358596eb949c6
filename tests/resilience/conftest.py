"""Fixtures of the fault-injection suite: the busy scene (made once) and helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from resilience_harness import write_busy_scene


@pytest.fixture(scope="session")
def busy_scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield write_busy_scene(tmp_path_factory.mktemp("busy-scene") / "yard.mp4")
