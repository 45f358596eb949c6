"""Where Roost keeps its files: one data directory holds the models, the media and the
database, so `roost serve` finds the same state from whatever directory it is started.

The data directory is `ROOST_DATA_DIR` when set; else, when Roost runs from a source
checkout (`pip install -e .`, as `make run` does), the checkout itself, so `model_cache/`
and `media/` sit beside the code as setup made them; else (a plain `pip install`)
`$XDG_DATA_HOME/roost`, i.e. `~/.local/share/roost`. Inside it:

    model_cache/   converted and trained models      (moved alone with ROOST_MODEL_CACHE)
    media/         recordings, clips, roost.db        (moved alone with ROOST_MEDIA_DIR or --media-dir)
    config/        config.yml (after ./config/ in the working directory)
"""

from __future__ import annotations

import os
from pathlib import Path

#: The working-directory config file, looked at first (as documented since the seed).
DEFAULT_CONFIG_FILE = Path("config/config.yml")
CHECKOUT_ROOT = Path(__file__).resolve().parents[1]


def _is_checkout(root: Path) -> bool:
    project = root / "pyproject.toml"
    try:
        return project.is_file() and 'name = "roost"' in project.read_text(encoding="utf-8")
    except OSError:
        return False


def data_dir() -> Path:
    """The base directory of Roost's state (see the module docstring), always absolute."""
    value = os.environ.get("ROOST_DATA_DIR")
    if value:
        return Path(value).expanduser().resolve()
    if _is_checkout(CHECKOUT_ROOT):
        return CHECKOUT_ROOT
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "roost"


def config_file_from_env() -> Path | None:
    """`CONFIG_FILE` as in Frigate; None when unset."""
    value = os.environ.get("CONFIG_FILE")
    return Path(value) if value else None


def default_config_files() -> list[Path]:
    """Config files looked for when none is named: `./config/` then `<data dir>/config/`,
    each as .yml, .yaml, .json."""
    bases = [DEFAULT_CONFIG_FILE, data_dir() / DEFAULT_CONFIG_FILE]
    return [base.with_suffix(suffix) for base in dict.fromkeys(bases) for suffix in (".yml", ".yaml", ".json")]


def media_dir() -> Path:
    """Root of recordings, clips and the SQLite database: `ROOST_MEDIA_DIR`, else
    `<data dir>/media`."""
    value = os.environ.get("ROOST_MEDIA_DIR")
    return Path(value).expanduser().resolve() if value else data_dir() / "media"


def model_cache_dir() -> Path:
    """Root of converted/trained models: `ROOST_MODEL_CACHE`, else `<data dir>/model_cache`
    (detector/, backbone/, <model>/)."""
    value = os.environ.get("ROOST_MODEL_CACHE")
    return Path(value).expanduser().resolve() if value else data_dir() / "model_cache"


def is_within(path: Path, root: Path) -> bool:
    """True when `path` resolves inside `root` (symlinks followed): the guard for every
    path that is built from a request or an archive member."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
