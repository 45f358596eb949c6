"""`Restream`: the supervisor's handle on live streams — serving the demo camera over
RTSP, starting the restream child for the planned streams, the config the recorder and
pipeline run on, camera health for `/api/stats`, and the browser player's websocket."""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from roost.config.loading import LoadedConfig
from roost.config.root import RoostConfig
from roost.restream.child import ServerChild, restream_spec, restream_url
from roost.restream.demo import serve_demo_camera
from roost.restream.health import as_json, detect_health, restream_health
from roost.restream.plan import RestreamPlan, reading_from_restream, restream_plan
from roost.restream.simulated import SimulatedCameras
from roost.stats import CameraStats, cpu_usages

if TYPE_CHECKING:
    from roost.pipeline import Pipeline
    from roost.record.recorder import Recorder

logger = logging.getLogger(__name__)


class Restream:
    def __init__(self, loaded: LoadedConfig, media_dir: Path) -> None:
        self.loaded = loaded
        self.media_dir = media_dir
        self.plan: RestreamPlan | None = None
        self.child: ServerChild | None = None
        self.demo_camera: SimulatedCameras | None = None
        self._warned: set[str] = set()

    def start(self) -> RoostConfig:
        """Start serving; returns the config the recorder and the pipeline should run on."""
        self.loaded, self.demo_camera = serve_demo_camera(self.loaded, self.media_dir)
        config = self.loaded.config
        try:
            plan = restream_plan(config)
        except ValueError as error:
            logger.error("restream off: %s", error)
            return config
        if plan is None:
            logger.info("restream off (go2rtc.rtsp.listen is empty)")
            return config
        for reason in plan.skipped:
            logger.warning("restream: %s", reason)
        if not plan.streams:
            return config
        child = ServerChild(restream_spec(plan, config.ffmpeg.path))
        if not child.start():
            logger.error("restream unavailable: Roost reads every camera directly")
            return config
        self.plan, self.child = plan, child
        logger.info("restream: %s on rtsp://%s:%d/ (one connection per camera, stream copy)",
                    ", ".join(s.name for s in plan.streams), self._public_host(), plan.port)
        return reading_from_restream(config, plan)

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
        if self.demo_camera is not None:
            self.demo_camera.stop()

    def local_url(self, name: str) -> str | None:
        """The local RTSP URL of a camera's stream or of a named stream, None when not served."""
        if self.plan is None or self.child is None:
            return None
        stream = self.plan.camera_stream(name) or (name if any(s.name == name for s in self.plan.streams) else None)
        return self.plan.local_url(stream) if stream else None

    def router(self) -> APIRouter:
        from roost.api.live_mse import live_mse_router

        return live_mse_router(self.local_url)

    def _public_host(self) -> str:
        host = self.plan.host if self.plan is not None else "0.0.0.0"
        return socket.gethostname() if host in ("0.0.0.0", "::", "") else host

    def with_health(self, cameras: dict[str, CameraStats], pipeline: Pipeline | None,
                    recorders: list[Recorder]) -> dict[str, CameraStats]:
        now = time.time()
        by_camera = {r.camera_name: r for r in recorders}
        result = {}
        for name, stats in cameras.items():
            inputs: dict[str, dict[str, Any]] = {}
            procs = pipeline.cameras.get(name) if pipeline is not None else None
            if procs is not None:
                capture = procs.capture_stats
                running = procs.capture is not None and procs.capture.is_alive()
                inputs["detect"] = as_json(detect_health(running, capture.last_frame_time.value,
                                                         capture.failures.value, capture.error_text() or None, now))
            recorder = by_camera.get(name)
            if recorder is not None:
                state, error, idle = recorder.health()
                inputs["record"] = {"state": state, "last_error": error, "seconds_since_frame": idle}
            stream = self.plan.camera_stream(name) if self.plan is not None else None
            if stream is not None and self.child is not None:
                status = self.child.status.get(stream)
                inputs["restream"] = as_json(restream_health(status), stream=stream,
                                             url=restream_url(self._public_host(), self.plan.port, stream) if self.plan else None,
                                             clients=(status or {}).get("clients", 0),
                                             codec=(status or {}).get("codec"))
                self._warn_resolution(name, status)
            result[name] = dataclasses.replace(stats, inputs=inputs)
        return result

    def add_stats(self, data: dict[str, Any]) -> dict[str, Any]:
        """The top-level `restream` section; the child's CPU joins `cpu_usages`."""
        if self.child is None or self.plan is None:
            data["restream"] = {"enabled": False, "streams": {}}
            return data
        host = self._public_host()
        streams = {s.name: {**self.child.status.get(s.name, {}), "url": restream_url(host, self.plan.port, s.name)}
                   for s in self.plan.streams}
        pid = self.child.pid
        data["restream"] = {"enabled": True, "pid": pid, "port": self.plan.port, "restarts": self.child.restarts,
                            "streams": streams}
        if pid:
            data["cpu_usages"].update(cpu_usages([pid]))
        return data

    def _warn_resolution(self, camera: str, status: dict[str, Any] | None) -> None:
        """Say once when the camera sends another size than `detect` is set to (frames are scaled)."""
        if not status or not status.get("width") or camera in self._warned:
            return
        detect = self.loaded.config.cameras[camera].detect
        if (status["width"], status["height"]) != (detect.width, detect.height):
            self._warned.add(camera)
            logger.warning("cameras.%s.detect: the camera sends %dx%d, detect is set to %sx%s; frames are scaled "
                           "(set detect.width/height to the stream's size or a 16:9/4:3 fraction of it)",
                           camera, status["width"], status["height"], detect.width, detect.height)
