"""`logger:` config applied to Python logging, per module, as in Frigate.

Frigate's module names in a carried-over config (`frigate.mqtt: debug`) are translated to
the Roost module doing that job, so the user's habit keeps working.
"""

from __future__ import annotations

import logging

from roost.config.services import LoggerConfig

LOG_FORMAT = "%(asctime)s [%(levelname)-7s] %(name)s: %(message)s"

#: Frigate logger names → Roost's. Longest prefix wins; anything else under `frigate.`
#: maps to the same name under `roost.`.
FRIGATE_LOGGER_NAMES = {
    "frigate.data_processing.real_time.custom_classification": "roost.classify",
    "frigate.mqtt": "roost.publish",
    "frigate.comms": "roost.publish",
    "frigate.app": "roost.app",
    "frigate.record": "roost.record",
    "frigate.events": "roost.events",
    "frigate.object_processing": "roost.track",
    "frigate.motion": "roost.motion",
    "frigate.api": "roost.api",
    "frigate.http": "roost.api",
    "watchdog": "roost.capture",
    "ffmpeg": "roost.capture.ffmpeg",
    "detector": "roost.detect",
}


def roost_logger_name(name: str) -> str:
    for prefix in sorted(FRIGATE_LOGGER_NAMES, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return FRIGATE_LOGGER_NAMES[prefix] + name[len(prefix):]
    if name.startswith("frigate."):
        return "roost." + name[len("frigate."):]
    return name


#: Libraries whose info lines say nothing to a user (Alembic lists its plug-ins at every
#: start); their warnings still show, and `logger.logs` can set them lower.
QUIET_LIBRARIES = ("alembic.runtime.plugins",)


def quiet_libraries() -> None:
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(config: LoggerConfig) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(config.default.upper())
    quiet_libraries()
    for name, level in config.logs.items():
        logging.getLogger(roost_logger_name(name)).setLevel(level.upper())
