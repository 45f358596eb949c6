"""`PUT /api/config/set` (Frigate's): change the config file at run time. Changes come as
`{"config_data": {nested}}` and/or dotted query parameters (`?classification.custom.door.threshold=0.9`);
the result is validated, written keeping comments and layout, and applied without a
restart where Roost can (custom classification models); the answer says whether anything
else needs a restart. Changes to what Roost executes (ffmpeg, args, ...) are refused (403)
on the trusted port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import JSONResponse

from roost.api.config_editor import changed_execution_keys, refuse_execution_changes
from roost.api.context import ApiContext
from roost.api.params import Ctx
from roost.config.errors import ConfigError
from roost.config.loading import deep_merge
from roost.config.writeback import apply_change, dotted_to_nested

router = APIRouter(tags=["config"])


@router.put("/config/set")
def set_config(request: Request, context: Ctx, body: dict[str, Any] | None = Body(default=None)) -> JSONResponse:
    source = context.loaded.source
    if source is None:
        raise HTTPException(status_code=409, detail="Roost runs on the built-in demo config; copy roost/config/demo.yml "
                                                    "to config/config.yml to change it")
    query = {k: yaml.safe_load(v) if v else None for k, v in request.query_params.items()
             if k not in ("requires_restart", "update_topic")}
    nested = dotted_to_nested(query) if query else {}
    data = (body or {}).get("config_data") or {}
    if not isinstance(data, dict):
        raise HTTPException(status_code=400, detail="config_data must be an object of config sections")
    changes = deep_merge(nested, data)
    if not changes:
        raise HTTPException(status_code=400, detail="no change given (config_data or key=value query parameters)")
    return save_change(request, context, source, changes)


def save_change(request: Request, context: ApiContext, source: Path, changes: dict[str, Any],
                saved: str = "config saved") -> JSONResponse:
    """Merge `changes` into the file (comments kept), validated first; apply what can be
    applied now and say whether a restart is still needed. 400 with every error otherwise;
    403 on the trusted port for a change of what Roost runs."""
    try:
        before = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        before = {}
    refuse_execution_changes(request, changed_execution_keys(before, deep_merge(before, changes)))
    try:
        loaded = apply_change(source, changes)
    except ConfigError as error:
        return JSONResponse({"success": False, "message": error.report(),
                             "errors": [str(i) for i in error.issues]}, status_code=400)
    requires_restart = context.on_config_change(loaded) if context.on_config_change else True
    return JSONResponse({"success": True, "requires_restart": requires_restart,
                         "message": saved + ("; restart Roost to apply it" if requires_restart else " and applied")})
