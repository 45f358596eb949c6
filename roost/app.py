"""The supervisor: loads the config, prepares storage, starts the processes and services,
restarts what crashes and stops everything on SIGTERM / Ctrl-C.

Start order: database (ending rows a previous run left open) → hub and controls → event
bookkeeping → recording → detection pipeline → HTTP API and MQTT. Stop order: API, pipeline,
then every open event and review item is ended (published while MQTT is still up), MQTT,
recording, database, so the last segments are indexed before the database closes.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from roost.api.context import ApiContext
from roost.api.classification import classification_router
from roost.api.config_editor import config_editor_router
from roost.config.live_update import LiveChanges, live_changes
from roost.api.camera_setup import router as camera_setup_router
from roost.api.config_set import router as config_set_router
from roost.api.examples import examples_router
from roost.api.server import ApiServers, serve_api
from roost.api.training import training_router
from roost.children.leftovers import kill_orphan_recorders, remove_stale_segments
from roost.classify.classifiers import Classifiers
from roost.config.detect_size import fill_detect_sizes, probe_detect_size
from roost.config.errors import ConfigError
from roost.config.loading import LoadedConfig
from roost.config.services import RUNNABLE_DETECTOR_TYPES, DetectorConfig
from roost.config.source import config_origin
from roost.config.startup import resolve_detect_sizes
from roost.controls import CameraControls
from roost.events.frame_results import FrameResultHandler
from roost.events.open_rows import end_open_rows
from roost.events.processor import EventProcessor
from roost.events.review import ReviewRules, ReviewSegments
from roost.ffmpeg import redact_credentials
from roost.hub import Hub
from roost.logs import configure_logging
from roost.paths import model_cache_dir
from roost.pipeline import Pipeline
from roost.preflight import preflight
from roost.publish.publisher import MqttPublisher
from roost.record.expiry import reconcile_event_media
from roost.record.maintainer import RecordingMaintainer
from roost.record.command import recorder_stream
from roost.record.recorder import Recorder
from roost.restream.supervision import Restream
from roost.start_banner import start_banner
from roost.stats import build_stats
from roost.store import Database, database_url
from roost.train.messages import TrainingState
from roost.train.run import Trainer

logger = logging.getLogger(__name__)

class StartupError(Exception):
    """Roost cannot run as configured (e.g. its HTTP port is taken); `serve` exits 1."""


#: How often `Supervisor.wait` looks for a stop request (seconds).
WAIT_POLL_S = 0.2
#: A stop step slower than this is logged, so a slow shutdown says what it waited for.
SLOW_STOP_STEP_S = 1.0


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
    def __init__(self, loaded: LoadedConfig, media_dir: Path, model_cache: Path | None = None) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.media_dir = media_dir
        self.model_cache = model_cache or model_cache_dir()
        self.started_at = time.time()
        self.stopping = threading.Event()
        self._stop_requested = False
        self.restart_requested = False
        self.database: Database | None = None
        self.hub = Hub()
        self.controls = {name: CameraControls.from_config(name, cam) for name, cam in self.config.cameras.items()}
        self.recorders: list[Recorder] = []
        self.maintainer: RecordingMaintainer | None = None
        self.pipeline: Pipeline | None = None
        self.handler: FrameResultHandler | None = None
        self.api: ApiServers | None = None
        self.mqtt: MqttPublisher | None = None
        self.context: ApiContext | None = None
        self._stats_thread: threading.Thread | None = None
        self.restream = Restream(loaded, media_dir)

    def start(self) -> None:
        for sub in ("recordings", "clips", "exports", "cache"):
            (self.media_dir / sub).mkdir(parents=True, exist_ok=True)
        # What a run killed without its stop path left: frame rings and detector blocks in
        # /dev/shm, and recorder ffmpegs still writing this media dir's cache.
        remove_stale_segments()
        kill_orphan_recorders(self.media_dir / "cache")
        # The recorder and the pipeline read from the restream where it serves the camera
        # (the built-in demo camera becomes an RTSP camera first).
        run_config = self.restream.start()
        self.loaded, self.config = self.restream.loaded, self.restream.loaded.config
        self._report_config()
        fill_detect_sizes(self.config.cameras)  # no-op after startup_config, which probed already
        db_config = self.config.database
        self.database = database = Database(database_url(db_config.path, db_config.url, self.media_dir))
        database.migrate()
        end_open_rows(database, list(self.config.cameras))
        reconcile_event_media(database, self.media_dir)

        processor = EventProcessor(self.config, database, self.hub, on_end=lambda e: self._on_event_end(e.id))
        self.maintainer = RecordingMaintainer(database, self.config.cameras, self.media_dir,
                                              in_progress=processor.in_progress)
        review = ReviewSegments(database, self.hub, {
            name: ReviewRules.from_config(cam.review) for name, cam in self.config.cameras.items()})
        self.handler = handler = FrameResultHandler(self.config, database, self.hub, processor, review, self.controls,
                                                    self.media_dir / "clips", activity=self.maintainer.note_activity,
                                                    make_room=self.maintainer.disk.make_room)
        self.maintainer.start()
        for name, camera in run_config.cameras.items():
            if camera.enabled and recorder_stream(camera) is not None:
                recorder = Recorder(name, camera, self.media_dir / "cache", self.controls[name])
                recorder.start()
                self.recorders.append(recorder)

        self.pipeline = Pipeline(run_config, runnable_detectors(self.loaded), self.controls,
                                 handler, self.model_cache)
        self.classifiers = Classifiers(self.config, self.model_cache, self.media_dir / "clips", self.hub,
                                       processor, self.pipeline.latest_frame)
        handler.after_frame.append(self.classifiers.on_frame_result)
        self.pipeline.start()

        trainer = Trainer()
        trainer.subscribe(lambda progress: self.hub.publish(TrainingState(progress)))
        self.context = context = ApiContext(
            self.loaded, database, self.hub, self.controls, self.media_dir, stats=self.stats,
            latest_frame=self.pipeline.latest_frame, recent_frames=self.pipeline.recent.between,
            model_cache=self.model_cache,
            on_config_change=self._config_changed,
            extra_routers=[training_router(trainer), examples_router(), config_set_router, camera_setup_router, self.restream.router(),
                           config_editor_router(self.request_restart),
                           classification_router(lambda: self._classification_status(trainer))])
        self.api = serve_api(context, self.stopping)
        if not self.api.wait_started():
            listeners = [f"{c.host}:{c.port}" for c in (self.config.api, self.config.auth) if c.enabled]
            raise StartupError(f"the HTTP API could not listen on {' and '.join(listeners)} (see the error above: "
                               "another Roost or Frigate on the same port? change api.port / auth.port or stop it)")
        if self.config.mqtt.active:
            self.mqtt = MqttPublisher(self.config, self.hub, self.controls, stats=self.stats)
            self.mqtt.start()
        logger.info("Roost started with %d camera(s): %s", len(self.config.cameras), ", ".join(self.config.cameras))
        passwords = [getattr(getattr(s.config.app, "state", None), "admin_password", None) for s in self.api.servers]
        for line in start_banner(self.config, next((p for p in passwords if p), None)):
            logger.info("%s", line)

    def _config_changed(self, loaded: LoadedConfig) -> bool:
        """A saved config change: classification models apply now; True when anything
        else changed, which needs a restart."""
        running: dict[int, tuple[int, int]] = {}
        for name, camera in loaded.config.cameras.items():
            old = self.config.cameras.get(name)
            if old is not None and old.detect.width and old.detect.height:
                running[id(camera)] = (old.detect.width, old.detect.height)
        # Cameras without a detect size keep the one probed at start (new ones are probed).
        errors, _ = resolve_detect_sizes(loaded.config, lambda c: running.get(id(c)) or probe_detect_size(c))
        for error in errors:
            logger.error("config change: %s", error)
        live = live_changes(self.config, loaded.config)
        self._apply_live(live)
        self.loaded, self.config = loaded, loaded.config
        if self.context is not None:
            self.context.loaded = loaded
        self.classifiers.reconfigure(loaded.config)
        if live.restart:
            logger.info("config change needs a restart to apply: %s", ", ".join(live.why))
        return live.restart

    def _apply_live(self, live: LiveChanges) -> None:
        """Masks, zones and motion tuning of running cameras: to their camera processes, to
        the event bookkeeping (zone counts) and to the run-time controls the MQTT and API
        switches show (a saved threshold becomes the current one)."""
        for name, camera in live.cameras.items():
            if self.pipeline is None or not self.pipeline.update_camera(name, camera):
                continue
            old = self.config.cameras[name]
            if self.handler is not None:
                self.handler.config.cameras[name] = camera
            controls = self.controls.get(name)
            for control, before, after in (
                    ("motion_threshold", old.motion.threshold, camera.motion.threshold),
                    ("motion_contour_area", old.motion.contour_area, camera.motion.contour_area),
                    ("improve_contrast", old.motion.improve_contrast, camera.motion.improve_contrast)):
                if controls is not None and before != after:
                    controls.set(control, after)
            logger.info("camera %s: masks, zones and motion settings applied without a restart", name)

    def _classification_status(self, trainer: Trainer) -> dict[str, dict[str, Any]]:
        """Run-time status of each model, with a training run in progress (or failed) winning."""
        status = self.classifiers.status()
        for name, info in status.items():
            latest = trainer.status(name)
            if latest is not None and latest.state in ("training", "failed"):
                info["status"] = latest.state
        return status

    def _report_config(self) -> None:
        logger.info("config: %s", config_origin(self.loaded))
        if self.loaded.source is None:
            camera = next(iter(self.config.cameras.values()))
            logger.info("using the demo camera 'demo' on %s (no config file; see README to add yours)",
                        redact_credentials(camera.ffmpeg.inputs[0].path))
        for warning in self.loaded.warnings:
            logger.warning("config: %s", warning)

    def _on_event_end(self, event_id: str) -> None:
        if self.maintainer is not None:
            self.maintainer.request_clip(event_id)

    def stats(self) -> dict[str, Any]:
        cameras = self.pipeline.camera_stats() if self.pipeline else {}
        detectors = self.pipeline.detector_stats() if self.pipeline else {}
        cameras = self.restream.with_health(cameras, self.pipeline, self.recorders)
        return self.restream.add_stats(build_stats(
            cameras, detectors, self.started_at, [self.media_dir / "recordings", self.media_dir / "clips"],
            detector_error=self.pipeline.detector_error if self.pipeline else None))

    def request_stop(self) -> None:
        """Ask `wait` to return; safe in a signal handler. It takes no lock: the handler runs
        in the main thread, possibly inside `Event.wait` on the very lock `Event.set` needs
        (that deadlocked a Ctrl-C for good), so it only sets a flag `wait` polls."""
        self._stop_requested = True

    def request_restart(self) -> None:
        """Stop and start again from the config file (`POST /api/restart`): `serve` sees the
        flag when `wait` returns. The stop is the ordinary one, so open events end and are
        published and recordings are indexed before the new pipeline starts."""
        self.restart_requested = True
        self._stop_requested = True

    def wait(self) -> None:
        """Block until stopped (`request_stop`, or `stopping` set by another thread), watching
        the pipeline's processes and restarting crashed ones about once a second."""
        next_check = time.monotonic() + 1.0
        while not (self._stop_requested or self.stopping.is_set()):
            time.sleep(WAIT_POLL_S)
            if time.monotonic() >= next_check and self.pipeline is not None:
                next_check = time.monotonic() + 1.0
                self.pipeline.restart_crashed()

    def stop(self) -> None:
        self.stopping.set()
        started = time.monotonic()
        steps: list[tuple[str, Callable[[], None]]] = []
        if self.api is not None:
            steps.append(("api", self.api.stop))
        if self.pipeline is not None:
            steps.append(("pipeline", self.pipeline.stop))
        if self.handler is not None:
            # after the pipeline (no frame result comes any more), before MQTT (the `end`
            # messages and zeroed counts still reach Home Assistant)
            steps.append(("ending open events", self.handler.finish))
        if self.mqtt is not None:
            steps.append(("mqtt", self.mqtt.stop))
        steps += [(f"recorder {r.camera_name}", r.stop) for r in self.recorders]
        steps.append(("restream", self.restream.stop))
        if self.maintainer is not None:
            steps.append(("recording maintainer", self.maintainer.stop))
        steps.append(("hub", self.hub.close))
        if self.database is not None:
            steps.append(("database", self.database.close))
        for name, step in steps:
            step_started = time.monotonic()
            step()
            took = time.monotonic() - step_started
            if took > SLOW_STOP_STEP_S:
                logger.info("stopping %s took %.1f s", name, took)
        logger.info("Roost stopped (%.1f s)", time.monotonic() - started)


def serve(config_path: Path | None, media_dir: Path) -> int:
    """Run until stopped; a restart (`POST /api/restart`) runs again from the config file."""
    while True:
        code, restart = _serve_once(config_path, media_dir)
        if not restart:
            return code
        logger.info("restarting from the config file")


def _serve_once(config_path: Path | None, media_dir: Path) -> tuple[int, bool]:
    try:
        loaded = preflight(config_path, media_dir)
    except ConfigError as error:
        logger.error("%s", error.report())
        logger.error("Roost will not start with an invalid config; fix the errors above")
        return 1, False
    configure_logging(loaded.config.logger)
    supervisor = Supervisor(loaded, media_dir)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        supervisor.restart_requested = False
        supervisor.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        supervisor.start()
        supervisor.wait()
    except StartupError as error:
        logger.error("Roost cannot start: %s", error)
        return 1, False
    finally:
        supervisor.stop()
    return 0, supervisor.restart_requested
