"""The checks `serve` makes before it starts anything, shared with `check-config` (so a
config `check-config` accepts is one `serve` starts on): everything `startup_config`
checks in the config, plus that a `database.url` database answers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from roost.config.errors import ConfigError, ConfigIssue
from roost.config.loading import LoadedConfig
from roost.config.source import config_origin
from roost.config.startup import startup_config

#: Seconds a database server gets to answer the check.
DATABASE_CONNECT_TIMEOUT_S = 5


def database_problem(url: str) -> str | None:
    """Why the database at `url` cannot be used, or None when a connection works."""
    connect_args = {"connect_timeout": DATABASE_CONNECT_TIMEOUT_S} if url.startswith("postgresql") else {}
    try:
        engine = create_engine(url, connect_args=connect_args)
    except (SQLAlchemyError, ImportError, ValueError) as error:
        return f"not a usable SQLAlchemy URL: {error}"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return f"cannot connect: {str(error.orig if hasattr(error, 'orig') else error).strip().splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def preflight(explicit: Path | None, media_dir: Path) -> LoadedConfig:
    """The config `serve` runs on; ConfigError with every problem found."""
    loaded = startup_config(explicit, media_dir)
    url = loaded.config.database.url
    if url:
        problem = database_problem(url)
        if problem:
            raise ConfigError([ConfigIssue("database.url", problem)], config_origin(loaded))
    return loaded
