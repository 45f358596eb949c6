"""Dataset management routes of custom classification (CONTRACT.md "Classification"):
recent attempts, categorize, reclassify, rename, create, delete, upload, model listing and
the images under `/clips/<model>/...`.

Every model, class and file name is checked before it becomes a path (names by
`roost.classify.model_files`, files by `FILE_NAME` and `is_within`), so no request reads,
moves or deletes anything outside `clips/<model>/` and `model_cache/<model>/`. Writes need
the admin role on the authenticated port (the app-wide `authorize` dependency).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from roost.api.dataset_upload import save_uploads
from roost.api.params import Ctx
from roost.classify.model_files import InvalidNameError, model_paths, validate_class_name, validate_model_name
from roost.paths import is_within
from roost.train.dataset import IMAGE_SUFFIXES

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,200}$")
MEDIA_TYPES = {".webp": "image/webp", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

StatusSource = Callable[[], dict[str, dict[str, Any]]]


class Ids(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=1000)


class Categorize(BaseModel):
    category: str
    training_file: str


class Reclassify(BaseModel):
    id: str
    new_category: str


class Rename(BaseModel):
    new_category: str


def _name(check: Callable[[str], str], value: str, what: str) -> str:
    try:
        return check(value)
    except InvalidNameError as error:
        raise HTTPException(status_code=400, detail=f"{what}: {error}") from None


def _file(folder: Path, name: str) -> Path:
    """`folder/name` for a plain image file name inside `folder`, else 400."""
    path = folder / name
    if not FILE_NAME.match(name) or Path(name).suffix.lower() not in IMAGE_SUFFIXES or not is_within(path, folder):
        raise HTTPException(status_code=400, detail=f"'{name}' is not an image file name of this model")
    return path


def _model_dir(context: Any, name: str) -> Path:
    model = _name(validate_model_name, name, "model")
    if model not in context.loaded.config.classification.custom and not (context.clips_dir / model).is_dir():
        raise HTTPException(status_code=404, detail=f"classification model '{model}' is not configured")
    return Path(context.clips_dir) / model


def classification_router(status: StatusSource) -> APIRouter:
    router = APIRouter(tags=["classification"])

    @router.get("/classification")
    def models(context: Ctx) -> JSONResponse:
        """Every configured model: kind, status (untrained/training/complete), current states."""
        live = status()
        result = {}
        for name, model in context.loaded.config.classification.custom.items():
            info = live.get(name, {})
            trained = model_paths(name, context.model_cache).is_complete()
            result[name] = {"type": "state" if model.state_config is not None else "object",
                            "enabled": model.enabled,
                            "status": info.get("status", "complete" if trained else "untrained"),
                            "states": info.get("states", {})}
        return JSONResponse(result)

    @router.get("/classification/attributes")
    def attributes(context: Ctx) -> JSONResponse:
        """Attribute models and the classes they can assign (from their labelmaps)."""
        found: dict[str, list[str]] = {}
        for name, model in context.loaded.config.classification.custom.items():
            if model.object_config is not None and model.object_config.classification_type == "attribute":
                labelmap = model_paths(name, context.model_cache).labelmap
                found[name] = labelmap.read_text().split() if labelmap.is_file() else []
        return JSONResponse(found)

    @router.get("/classification/{name}/train")
    def recent(name: str, context: Ctx) -> JSONResponse:
        folder = _model_dir(context, name) / "train"
        files = sorted((p for p in folder.glob("*.webp")), key=lambda p: p.stat().st_mtime, reverse=True) \
            if folder.is_dir() else []
        return JSONResponse([p.name for p in files])

    @router.post("/classification/{name}/train/delete")
    def delete_recent(name: str, body: Ids, context: Ctx) -> JSONResponse:
        folder = _model_dir(context, name) / "train"
        paths = [_file(folder, i) for i in body.ids]
        for path in paths:
            path.unlink(missing_ok=True)
        return JSONResponse({"success": True, "deleted": len(paths)})

    @router.post("/classification/{name}/dataset/categorize")
    def categorize(name: str, body: Categorize, context: Ctx) -> JSONResponse:
        root = _model_dir(context, name)
        category = _name(validate_class_name, body.category, "category")
        source = _file(root / "train", body.training_file)
        if not source.is_file():
            raise HTTPException(status_code=404, detail=f"no recent image '{body.training_file}'")
        target = root / "dataset" / category / f"{source.stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        image = cv2.imread(str(source), cv2.IMREAD_COLOR)
        if image is None or not cv2.imwrite(str(target), image):
            raise HTTPException(status_code=400, detail=f"'{body.training_file}' is not a readable image")
        source.unlink()
        return JSONResponse({"success": True, "file": target.name})

    @router.post("/classification/{name}/dataset/{category}/create")
    def create(name: str, category: str, context: Ctx) -> JSONResponse:
        folder = _model_dir(context, name) / "dataset" / _name(validate_class_name, category, "category")
        folder.mkdir(parents=True, exist_ok=True)
        return JSONResponse({"success": True})

    @router.post("/classification/{name}/dataset/{category}/upload")
    async def upload(name: str, category: str, request: Request, context: Ctx) -> JSONResponse:
        """Add the user's own images to a class: multipart form, one or more `file` parts."""
        folder = _model_dir(context, name) / "dataset" / _name(validate_class_name, category, "category")
        saved = await save_uploads(request, folder)
        return JSONResponse({"success": True, "files": saved})

    @router.post("/classification/{name}/dataset/{category}/delete")
    def delete_images(name: str, category: str, body: Ids, context: Ctx) -> JSONResponse:
        folder = _model_dir(context, name) / "dataset" / _name(validate_class_name, category, "category")
        paths = [_file(folder, i) for i in body.ids]
        for path in paths:
            path.unlink(missing_ok=True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        return JSONResponse({"success": True, "deleted": len(paths)})

    @router.post("/classification/{name}/dataset/{category}/reclassify")
    def reclassify(name: str, category: str, body: Reclassify, context: Ctx) -> JSONResponse:
        root = _model_dir(context, name) / "dataset"
        source = _file(root / _name(validate_class_name, category, "category"), body.id)
        target_dir = root / _name(validate_class_name, body.new_category, "new_category")
        if not source.is_file():
            raise HTTPException(status_code=404, detail=f"no image '{body.id}' in class '{category}'")
        target_dir.mkdir(parents=True, exist_ok=True)
        source.rename(target_dir / source.name)
        return JSONResponse({"success": True})

    @router.put("/classification/{name}/dataset/{category}/rename")
    def rename(name: str, category: str, body: Rename, context: Ctx) -> JSONResponse:
        root = _model_dir(context, name) / "dataset"
        old = root / _name(validate_class_name, category, "category")
        new = root / _name(validate_class_name, body.new_category, "new_category")
        if not old.is_dir():
            raise HTTPException(status_code=404, detail=f"no class '{category}'")
        if new.exists():
            raise HTTPException(status_code=409, detail=f"class '{body.new_category}' already exists")
        old.rename(new)
        return JSONResponse({"success": True})

    @router.delete("/classification/{name}")
    def delete_model(name: str, context: Ctx) -> JSONResponse:
        """Delete the model's images and trained files (its config entry stays)."""
        root = _model_dir(context, name)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(model_paths(root.name, context.model_cache).root, ignore_errors=True)
        return JSONResponse({"success": True})

    @router.get("/clips/{name}/train/{filename}", include_in_schema=False)
    def attempt_image(name: str, filename: str, context: Ctx) -> FileResponse:
        return _serve(_file(_model_dir(context, name) / "train", filename))

    @router.get("/clips/{name}/dataset/{category}/{filename}", include_in_schema=False)
    def dataset_image(name: str, category: str, filename: str, context: Ctx) -> FileResponse:
        folder = _model_dir(context, name) / "dataset" / _name(validate_class_name, category, "category")
        return _serve(_file(folder, filename))

    return router


def _serve(path: Path) -> FileResponse:
    if not path.is_file():
        raise HTTPException(status_code=404, detail=f"no file '{path.name}'")
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"))
