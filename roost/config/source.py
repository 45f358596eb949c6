"""Which config Roost runs on: `--config`, else `CONFIG_FILE` (as in Frigate), else
`config/config.yml` in the working directory, else `<data dir>/config/config.yml`, else
the built-in demo config."""

from __future__ import annotations

import logging
from pathlib import Path

from roost.config.demo import demo_config
from roost.config.errors import ConfigError, ConfigIssue
from roost.config.loading import LoadedConfig, load_config
from roost.paths import config_file_from_env, default_config_files

logger = logging.getLogger(__name__)


def resolve_config(explicit: Path | None, media_dir: Path) -> LoadedConfig:
    """Load the config the user asked for; a file named explicitly must exist, while a
    missing default file means "use the demo camera"."""
    chosen = explicit or config_file_from_env()
    if chosen is not None:
        if not chosen.is_file():
            raise ConfigError([ConfigIssue("", "config file not found")], str(chosen))
        return load_config(chosen.resolve())
    candidates = default_config_files()
    for candidate in candidates:
        if candidate.is_file():
            return load_config(candidate.resolve())
    logger.info("no config file (looked for %s); using the built-in demo config (roost/config/demo.yml)",
                ", ".join(str(c) for c in candidates if c.suffix == ".yml"))
    return demo_config(media_dir)


def config_origin(loaded: LoadedConfig) -> str:
    """What `/api/config` and the start log say about the config in use."""
    return str(loaded.source) if loaded.source is not None else "built-in demo"
