"""Tuning the detector over HTTP, for the annotation page's "Tune detector" panel:

    GET  /api/annotations/tune   counts against the rules, the running tune's progress,
                                 the tuned models with their reports, the model in use
    POST /api/annotations/tune   start a tune (admin); 400 with the rule that says no,
                                 409 while one runs
    DELETE /api/annotations/tune cancel the running tune (admin)

The tune itself (`roost.tune.runner`) runs in child processes, so a request only starts it;
the page polls GET for progress. Selecting a tuned model is a config change
(`PUT /api/config/set` with `model.path`), so it goes through the same checks and
write-back as any other edit. These paths are mounted before `/annotations/{frame_id}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from roost.annotate.store import verified_frames
from roost.api.context import ApiContext
from roost.api.params import Ctx, bad_request
from roost.detect.onnx_detector import ModelMissingError
from roost.tune.files import TunedModel, last_model_frame_ids, tuned_models
from roost.tune.rules import tune_counts
from roost.tune.runner import TuneRefusedError, build_request, tune_python

router = APIRouter(tags=["annotations"])


def _same_file(configured: str | None, path: Path) -> bool:
    if not configured:
        return False
    try:
        return Path(configured).expanduser().resolve() == path.resolve()
    except OSError:
        return False


def model_json(model: TunedModel, report: dict[str, Any] | None, configured: str | None) -> dict[str, Any]:
    """A tuned model as the panel lists it: its scores and whether `model.path` names it."""
    report = report or {}
    return {"name": model.name, "path": str(model.model), "in_use": _same_file(configured, model.model),
            "created": report.get("created"), "frames": report.get("frames"), "labels": report.get("labels", []),
            "new_labels": report.get("new_labels", []), "ap50": report.get("ap50"), "map50": report.get("map50"),
            "held_out_boxes": report.get("held_out_boxes"), "tune_seconds": report.get("tune_seconds")}


def tune_state(context: ApiContext) -> dict[str, Any]:
    frames = verified_frames(context.database, context.clips_dir)
    counts = tune_counts([f.id for f in frames], last_model_frame_ids(context.model_cache))
    configured = context.loaded.config.model.path
    models = [model_json(m, m.report(), configured) for m in reversed(tuned_models(context.model_cache))]
    python = tune_python()
    return {"counts": counts.to_json(), "progress": context.tuner.progress().to_json(), "models": models,
            "model_path": configured, "running": context.tuner.running(),
            "available": python.is_file(),
            "unavailable_reason": None if python.is_file() else
            f"the tune virtualenv is missing ({python}): run scripts/prepare-tune.sh (make setup does)"}


@router.get("/annotations/tune", summary="Tuning the detector: counts against the rules, progress, tuned models")
def get_tune(context: Ctx) -> JSONResponse:
    return JSONResponse(tune_state(context))


@router.post("/annotations/tune", summary="Start tuning the detector on the verified frames", status_code=202)
def start_tune(context: Ctx) -> JSONResponse:
    if context.tuner.running():
        raise HTTPException(status_code=409, detail="a tune is already running; wait for it to finish")
    python = tune_python()
    if not python.is_file():
        raise HTTPException(status_code=503, detail=f"the tune virtualenv is missing ({python}): "
                                                    "run scripts/prepare-tune.sh (make setup does)")
    size = context.loaded.config.model.width
    try:  # build_request finds the default detector of that size (ModelMissingError without it)
        request = build_request(verified_frames(context.database, context.clips_dir), context.model_cache, size,
                                context.tune_settings)
    except (TuneRefusedError, ModelMissingError) as error:
        raise bad_request(str(error)) from None
    try:
        context.tuner.start(request)
    except TuneRefusedError as error:  # another request started one in between
        raise HTTPException(status_code=409, detail=str(error)) from None
    return JSONResponse(tune_state(context), status_code=202)


@router.delete("/annotations/tune", summary="Cancel the running tune (nothing is written)")
def cancel_tune(context: Ctx) -> JSONResponse:
    if not context.tuner.cancel():
        raise HTTPException(status_code=409, detail="no tune is running")
    context.tuner.wait(timeout=30)
    return JSONResponse(tune_state(context))
