"""Fixtures for training tests: the exported backbone and a temp media/model-cache pair."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from roost.classify.model_files import backbone_path
from roost.train.embed import Backbone


@pytest.fixture(scope="session")
def backbone() -> Backbone:
    """The exported backbone; setup (`make setup` → scripts/prepare-backbone.sh) makes it."""
    path = backbone_path()
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make setup` (scripts/prepare-backbone.sh exports it)")
    return Backbone(path, threads=2)


@pytest.fixture
def media(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(clips_dir, model_cache) in a temp dir; the model cache links the real backbone."""
    clips, cache = tmp_path / "clips", tmp_path / "model_cache"
    (cache / "backbone").mkdir(parents=True)
    (cache / "backbone" / backbone_path().name).symlink_to(backbone_path().resolve())
    clips.mkdir()
    yield clips, cache
