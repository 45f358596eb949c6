"""Where Roost keeps its files when the config and the command line say nothing.

Every default is relative to the working directory so that a checkout "just works", and
each can be moved with an environment variable (useful for services and for tests).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG_FILE = Path("config/config.yml")
DEFAULT_MEDIA_DIR = Path("media")
DEFAULT_MODEL_CACHE = Path("model_cache")


def config_file_from_env() -> Path | None:
    """`CONFIG_FILE` as in Frigate; None when unset."""
    value = os.environ.get("CONFIG_FILE")
    return Path(value) if value else None


def media_dir() -> Path:
    """Root of recordings, clips and the SQLite database (`ROOST_MEDIA_DIR`)."""
    return Path(os.environ.get("ROOST_MEDIA_DIR", DEFAULT_MEDIA_DIR))


def model_cache_dir() -> Path:
    """Root of converted/trained models (`ROOST_MODEL_CACHE`): detector/, backbone/, <model>/."""
    return Path(os.environ.get("ROOST_MODEL_CACHE", DEFAULT_MODEL_CACHE))


def is_within(path: Path, root: Path) -> bool:
    """True when `path` resolves inside `root` (symlinks followed): the guard for every
    path that is built from a request or an archive member."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
