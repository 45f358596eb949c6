"""Training routes of custom classification (the training half of CONTRACT.md's
Classification section, plus Roost's quality, suggestion and archive routes).

Writes need the admin role on the authenticated port (the app-wide `authorize` dependency);
names are checked by `roost.classify.model_files`, so no request reaches outside
`clips/<model>/` or `model_cache/<model>/`.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from roost.api.classification import FILE_NAME
from roost.api.params import Ctx
from roost.api.request_guard import IMPORT_LIMIT
from roost.paths import is_within
from roost.classify.model_files import (
    InvalidNameError, ModelNotTrainedError, model_paths, validate_class_name, validate_model_name,
)
from roost.train.archive import ArchiveError, export_classifier, import_classifier
from roost.train.dataset import IMAGE_SUFFIXES, TRAIN_DIR
from roost.train.pipeline import TrainingRequest
from roost.train.run import Trainer, TrainingInProgressError
from roost.train.status import dataset_training_metadata
from roost.train.suggestions import distinct_images, suggest

logger = logging.getLogger(__name__)

IMPORT_LIMIT_BYTES = IMPORT_LIMIT  # the request guard refuses larger bodies first


class DistinctBody(BaseModel):
    files: list[str] = Field(min_length=1, max_length=500)


def _model(name: str) -> str:
    try:
        return validate_model_name(name)
    except InvalidNameError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None


def _is_object_model(context: Any, model: str) -> bool:
    custom = context.loaded.config.classification.custom.get(model)
    return bool(custom is not None and custom.object_config is not None)


def _known(context: Any, model: str) -> None:
    if model not in context.loaded.config.classification.custom and not (context.clips_dir / model).is_dir():
        raise HTTPException(status_code=404, detail=f"classification model '{model}' is not configured")


def training_router(trainer: Trainer) -> APIRouter:
    router = APIRouter(tags=["classification"])

    @router.get("/classification/{name}/dataset")
    def dataset(name: str, context: Ctx) -> JSONResponse:
        model = _model(name)
        _known(context, model)
        root = context.clips_dir / model / "dataset"
        categories: dict[str, list[str]] = {}
        if root.is_dir():
            for folder in sorted(p for p in root.iterdir() if p.is_dir()):
                try:
                    validate_class_name(folder.name)
                except InvalidNameError:
                    continue
                categories[folder.name] = sorted(f.name for f in folder.iterdir()
                                                 if f.suffix.lower() in IMAGE_SUFFIXES)
        return JSONResponse({"categories": categories,
                             "training_metadata": dataset_training_metadata(context.clips_dir, model)})

    @router.post("/classification/{name}/train")
    def train(name: str, context: Ctx) -> JSONResponse:
        model = _model(name)
        _known(context, model)
        request = TrainingRequest(model, context.clips_dir, context.model_cache, _is_object_model(context, model))
        try:
            trainer.start(request)
        except TrainingInProgressError as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        return JSONResponse({"success": True, "message": f"training of {model} started"}, status_code=202)

    @router.get("/classification/{name}/status")
    def status(name: str, context: Ctx) -> JSONResponse:
        """State of the last run in this process and the quality of the model on disk.

        `elapsed_seconds`: wall time of this process's last run (so far, while training);
        `training_seconds`: how long the training of the model on disk took (metadata.json)."""
        model = _model(name)
        _known(context, model)
        run = trainer.run(model)
        latest = run.latest if run is not None else None
        paths = model_paths(model, context.model_cache)
        metadata = json.loads(paths.metadata.read_text()) if paths.metadata.is_file() else None
        state = latest.state if latest is not None else ("complete" if metadata else "untrained")
        return JSONResponse({"model": model, "state": state,
                             "progress": None if latest is None else {k: v for k, v in asdict(latest).items() if k != "result"},
                             "elapsed_seconds": None if run is None else run.elapsed_seconds,
                             "training_seconds": None if metadata is None else metadata.get("training_seconds"),
                             "trained_at": None if metadata is None else metadata.get("created"),
                             "metrics": None if metadata is None else metadata.get("metrics"),
                             "comparison": None if metadata is None else metadata.get("comparison")})

    @router.get("/classification/{name}/suggestions")
    def suggestions(name: str, context: Ctx, limit: int = 50) -> JSONResponse:
        model = _model(name)
        _known(context, model)
        try:
            ranked = suggest(context.clips_dir, context.model_cache, model, _is_object_model(context, model),
                             limit=max(1, min(limit, 500)))
        except ModelNotTrainedError as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        return JSONResponse([s.to_dict() for s in ranked])

    @router.post("/classification/{name}/distinct")
    def distinct(name: str, body: DistinctBody, context: Ctx) -> JSONResponse:
        """How many distinct images a selection of recent attempts holds (near-duplicates
        clustered), for the bulk-labelling warning of Recent Classifications."""
        model = _model(name)
        _known(context, model)
        folder = context.clips_dir / model / TRAIN_DIR
        paths = []
        for file in body.files:
            path = folder / file
            if not FILE_NAME.match(file) or not is_within(path, folder) or not path.is_file():
                raise HTTPException(status_code=400, detail=f"'{file}' is not a recent image of '{model}'")
            paths.append(path)
        clusters = distinct_images(context.clips_dir, context.model_cache, model, paths)
        return JSONResponse({"files": len(paths), "distinct": len(clusters), "clusters": clusters})

    @router.get("/classification/{name}/export")
    def export(name: str, context: Ctx, dataset: int = 0) -> FileResponse:
        model = _model(name)
        _known(context, model)
        folder = Path(tempfile.mkdtemp(prefix="roost-export-"))
        target = folder / f"{model}.zip"
        try:
            export_classifier(model, context.model_cache, context.clips_dir, target, with_dataset=bool(dataset))
        except (ArchiveError, ModelNotTrainedError, FileNotFoundError) as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        return FileResponse(target, media_type="application/zip", filename=target.name,
                            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))

    @router.post("/classification/import")
    async def import_archive(request: Request, context: Ctx, name: str | None = None,
                             replace: bool = False) -> JSONResponse:
        """The request body is the archive (`application/zip`), at most 200 MB."""
        if name is not None:
            _model(name)
        with tempfile.TemporaryDirectory(prefix="roost-import-") as folder:
            target = Path(folder) / "upload.zip"
            size = 0
            with target.open("wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > IMPORT_LIMIT_BYTES:
                        raise HTTPException(status_code=413, detail="archive larger than 200 MB")
                    out.write(chunk)
            try:  # unpacking and loading the model take seconds: off the event loop
                imported = await run_in_threadpool(import_classifier, target, context.model_cache,
                                                   context.clips_dir, name=name, replace=replace)
            except ArchiveError as error:
                raise HTTPException(status_code=400, detail=str(error)) from None
        return JSONResponse({"success": True, "model": imported.model})

    return router
