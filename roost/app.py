"""The supervisor: loads the config, prepares storage, starts the processes and services,
restarts what crashes and stops everything on SIGTERM / Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from roost.config.errors import ConfigError
from roost.config.loading import LoadedConfig
from roost.config.services import RUNNABLE_DETECTOR_TYPES, DetectorConfig
from roost.config.source import resolve_config
from roost.logs import configure_logging
from roost.store import Database, database_url

logger = logging.getLogger(__name__)


def runnable_detectors(loaded: LoadedConfig) -> dict[str, DetectorConfig]:
    """The detectors Roost will start. Types Roost cannot run (edgetpu, ...) are reported
    and replaced by one cpu detector, so a carried-over Frigate config still works."""
    config = loaded.config
    chosen = {name: d for name, d in config.detectors.items() if d.runnable}
    for name, detector in config.detectors.items():
        if not detector.runnable:
            logger.error("detectors.%s: type '%s' cannot run in Roost (supported: %s); %s",
                         name, detector.type, ", ".join(RUNNABLE_DETECTOR_TYPES),
                         "using the other detectors" if chosen else "using a cpu detector instead")
    return chosen or {"cpu": DetectorConfig(type="cpu")}


class Supervisor:
    def __init__(self, loaded: LoadedConfig, media_dir: Path) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.media_dir = media_dir
        self.stopping = threading.Event()
        self.database: Database | None = None

    def start(self) -> None:
        for sub in ("recordings", "clips", "exports"):
            (self.media_dir / sub).mkdir(parents=True, exist_ok=True)
        db = self.config.database
        self.database = Database(database_url(db.path, db.url, self.media_dir))
        self.database.migrate()
        self.detectors = runnable_detectors(self.loaded)
        if self.loaded.source is None:
            camera = next(iter(self.config.cameras.values()))
            logger.info("using the demo camera 'demo' on %s (no config file; see README to add yours)",
                        camera.ffmpeg.inputs[0].path)
        for warning in self.loaded.warnings:
            logger.warning("config: %s", warning)
        logger.info("Roost started with %d camera(s): %s", len(self.config.cameras),
                    ", ".join(self.config.cameras))

    def wait(self) -> None:
        while not self.stopping.wait(1.0):
            pass

    def stop(self) -> None:
        if self.database is not None:
            self.database.close()
        logger.info("Roost stopped")


def serve(config_path: Path | None, media_dir: Path) -> int:
    try:
        loaded = resolve_config(config_path, media_dir)
    except ConfigError as error:
        logger.error("%s", error.report())
        logger.error("Roost will not start with an invalid config; fix the errors above")
        return 1
    configure_logging(loaded.config.logger)
    supervisor = Supervisor(loaded, media_dir)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        supervisor.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        supervisor.start()
        supervisor.wait()
    finally:
        supervisor.stop()
    return 0
