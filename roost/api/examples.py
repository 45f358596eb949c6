"""Example collection for the classification wizard (`generate_examples` routes of
CONTRACT.md): candidates sampled from the database (finished review segments and their
recordings for state models, events with snapshots for object models), collected in a
background thread into `clips/<model>/train/example_NNN.jpg`, progress readable."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from roost.api.params import Ctx
from roost.classify.model_files import InvalidNameError, backbone_path, validate_model_name
from roost.config.classification import StateCameraConfig
from roost.events.rows import stored_snapshot
from roost.events.snapshots import snapshot_files
from roost.store import Database
from roost.store.models import EventRow, RecordingRow, ReviewSegmentRow
from roost.train.embed import Backbone
from roost.train.examples import (
    RECORDING_FALLBACK_HOURS, EventSample, FrameSample, ReviewSpan, collect_object_examples,
    collect_state_examples, sample_events, sample_recording_timestamps, sample_review_timestamps,
)

logger = logging.getLogger(__name__)

CANDIDATE_EVENTS = 500


class StateExamplesBody(BaseModel):
    model_name: str
    cameras: dict[str, tuple[float, float, float, float]]


class ObjectExamplesBody(BaseModel):
    model_name: str
    label: str


@dataclass
class Collection:
    state: str = "running"  # running | complete | failed
    done: int = 0
    total: int = 0
    files: list[str] = field(default_factory=list)
    error: str | None = None


def state_samples(database: Database, crops: dict[str, tuple[int, int, int, int]],
                  now: float | None = None) -> list[FrameSample]:
    """Frames to look at: timestamps spread over finished review segments (balanced across
    cameras and 6-hour blocks), each found in the recording segment that covers it; when
    that finds none, timestamps spread over the last hours of the cameras' recordings."""
    with database.read() as session:
        spans = [ReviewSpan(r.camera, r.start_time, r.end_time or r.start_time) for r in session.scalars(
            select(ReviewSegmentRow).where(ReviewSegmentRow.end_time.is_not(None),
                                           ReviewSegmentRow.camera.in_(list(crops))))]

        def at(stamps: list[tuple[str, float]]) -> list[FrameSample]:
            samples = []
            for camera, timestamp in stamps:
                row = session.scalars(select(RecordingRow).where(
                    RecordingRow.camera == camera, RecordingRow.start_time <= timestamp,
                    RecordingRow.end_time > timestamp).limit(1)).first()
                if row is not None:
                    samples.append(FrameSample(camera, Path(row.path), timestamp - row.start_time, crops[camera]))
            return samples

        samples = at(sample_review_timestamps(spans))
        if samples:
            return samples
        since = (time.time() if now is None else now) - RECORDING_FALLBACK_HOURS * 3600
        recorded = [ReviewSpan(r.camera, r.start_time, r.end_time) for r in session.scalars(
            select(RecordingRow).where(RecordingRow.camera.in_(list(crops)), RecordingRow.end_time > since))]
        logger.info("no finished review segments of %s; sampling %d recording segments of the last %d h",
                    ", ".join(crops), len(recorded), RECORDING_FALLBACK_HOURS)
        return at(sample_recording_timestamps(recorded))


def object_samples(database: Database, clips_dir: Path, label: str) -> list[EventSample]:
    """Ended events of `label` with a snapshot, best scores first, balanced by the sampler."""
    with database.read() as session:
        rows = session.scalars(select(EventRow).where(
            EventRow.label == label, EventRow.has_snapshot.is_(True), EventRow.end_time.is_not(None))
            .order_by(EventRow.top_score.desc()).limit(CANDIDATE_EVENTS)).all()
    events = []
    for row in rows:
        files = snapshot_files(clips_dir, row.camera, row.id)
        picture = files.clean or files.jpeg
        shot = stored_snapshot(row)  # the object's box in the snapshot's own frame
        if picture.is_file() and shot is not None:
            events.append(EventSample(row.id, row.camera, row.start_time, row.top_score or 0.0, picture, shot.box))
    return sample_events(events)


def _backbone() -> Backbone | None:
    path = backbone_path()
    return Backbone(path) if path.is_file() else None


def examples_router() -> APIRouter:
    router = APIRouter(tags=["classification"])
    runs: dict[str, Collection] = {}
    lock = threading.Lock()

    def start(model: str, work: Any) -> JSONResponse:
        with lock:
            if model in runs and runs[model].state == "running":
                raise HTTPException(status_code=409, detail=f"examples for '{model}' are already being collected")
            run = runs[model] = Collection()

        def progress(done: int, total: int) -> None:
            run.done, run.total = done, total

        def body() -> None:
            try:
                run.files = [p.name for p in work(progress)]
                run.state = "complete"
            except Exception as error:  # reported through the progress route
                logger.exception("example collection for %s failed", model)
                run.state, run.error = "failed", str(error)

        threading.Thread(target=body, name=f"examples-{model}", daemon=True).start()
        return JSONResponse({"success": True, "message": f"collecting examples for {model}"}, status_code=202)

    def model_name(value: str) -> str:
        try:
            return validate_model_name(value)
        except InvalidNameError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None

    @router.post("/classification/generate_examples/state")
    def state_examples(body: StateExamplesBody, context: Ctx) -> JSONResponse:
        model = model_name(body.model_name)
        crops = {}
        for camera, crop in body.cameras.items():
            config = context.loaded.config.cameras.get(camera)
            if config is None:
                raise HTTPException(status_code=404, detail=f"unknown camera '{camera}'")
            try:
                crops[camera] = StateCameraConfig(crop=crop).crop_pixels(config.frame_shape[1], config.frame_shape[0])
            except ValueError as error:
                raise HTTPException(status_code=400, detail=f"cameras.{camera}: {error}") from None
        samples = state_samples(context.database, crops)
        clips = context.clips_dir
        return start(model, lambda progress: collect_state_examples(samples, clips, model, _backbone(), progress=progress))

    @router.post("/classification/generate_examples/object")
    def object_examples(body: ObjectExamplesBody, context: Ctx) -> JSONResponse:
        model = model_name(body.model_name)
        if body.label not in context.loaded.config.tracked_labels():
            raise HTTPException(status_code=400, detail=f"label '{body.label}' is not tracked by any camera")
        samples = object_samples(context.database, context.clips_dir, body.label)
        clips = context.clips_dir
        return start(model, lambda progress: collect_object_examples(samples, clips, model, _backbone(), progress=progress))

    @router.get("/classification/{name}/examples")
    def examples_progress(name: str) -> JSONResponse:
        run = runs.get(model_name(name))
        if run is None:
            raise HTTPException(status_code=404, detail=f"no example collection for '{name}' since start")
        return JSONResponse({"state": run.state, "done": run.done, "total": run.total, "files": run.files,
                             "error": run.error})

    return router
