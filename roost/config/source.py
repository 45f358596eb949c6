"""Which config Roost runs on: `--config`, else `CONFIG_FILE` (as in Frigate), else
`config/config.yml`, else the built-in demo config."""

from __future__ import annotations

import logging
from pathlib import Path

from roost.config.demo import demo_config
from roost.config.errors import ConfigError, ConfigIssue
from roost.config.loading import LoadedConfig, load_config
from roost.paths import DEFAULT_CONFIG_FILE, config_file_from_env

logger = logging.getLogger(__name__)


def resolve_config(explicit: Path | None, media_dir: Path) -> LoadedConfig:
    """Load the config the user asked for; a file named explicitly must exist, while a
    missing default file means "use the demo camera"."""
    chosen = explicit or config_file_from_env()
    if chosen is not None:
        if not chosen.is_file():
            raise ConfigError([ConfigIssue("", "config file not found")], str(chosen))
        return load_config(chosen)
    for candidate in (DEFAULT_CONFIG_FILE, DEFAULT_CONFIG_FILE.with_suffix(".yaml"),
                      DEFAULT_CONFIG_FILE.with_suffix(".json")):
        if candidate.is_file():
            return load_config(candidate)
    logger.info("no config file at %s; using the built-in demo config (roost/config/demo.yml)",
                DEFAULT_CONFIG_FILE)
    return demo_config(media_dir)
