"""The web UI's config editor: the raw file, validation with every error placed at its
line, atomic saves, Frigate's `POST /api/restart`, and `GET /api/config/schema.json` (the
JSON Schema of the config models, with key documentation) as Frigate serves it.

Validation uses the very loader `roost check-config` uses, so the messages are the same."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from roost.api.params import Ctx
from roost.config.descriptions import config_schema
from roost.config.errors import ConfigError, ConfigIssue
from roost.config.lines import MarkedYAMLError, line_of, parse_round_trip, syntax_error_line
from roost.config.loading import LoadedConfig, validate_raw

#: Largest config text accepted (a real config is a few kB).
MAX_TEXT = 1_000_000
#: Keys whose change alters which programs Roost runs (`ffmpeg.path` and every `*_args`,
#: global and per camera; go2rtc `exec:` sources; hooks; `environment_vars`, which can set
#: LD_PRELOAD for every child): only an admin on the authenticated port may change them,
#: through `POST /api/config/save` or `PUT /api/config/set`.
EXECUTION_SECTIONS = frozenset({"ffmpeg", "go2rtc", "restream", "hooks", "environment_vars"})


class ConfigText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT)


def _issue_json(issue: ConfigIssue, document: Any) -> dict[str, Any]:
    return {"path": issue.path, "message": str(issue), "line": line_of(document, issue.path) if document is not None else None}


def check_text(text: str, source: Path | None) -> tuple[LoadedConfig | None, list[dict[str, Any]], Any]:
    """Validate config text: (the config or None, errors with line and key path, raw tree)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        issue = ConfigIssue("", f"not valid YAML/JSON: {error}")
        return None, [{"path": "", "message": str(issue), "line": syntax_error_line(error)}], None
    try:
        document = parse_round_trip(text)
    except MarkedYAMLError:
        document = None
    if not isinstance(raw, dict):
        issue = ConfigIssue("", "the config must be a mapping of sections (logger, mqtt, cameras, ...)", type(raw).__name__)
        return None, [{"path": "", "message": str(issue), "line": 1}], raw
    try:
        loaded = validate_raw(raw, source)
    except ConfigError as error:
        return None, [_issue_json(i, document) for i in error.issues], raw
    return loaded, [], raw


def execution_values(node: Any, prefix: str = "") -> dict[str, Any]:
    """Every value under a key that decides what Roost executes, by dotted path."""
    found: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}{key}"
            if str(key) in EXECUTION_SECTIONS or str(key).endswith("_args") or str(key) in ("exec", "command"):
                found[path] = value
            else:
                found.update(execution_values(value, path + "."))
    return found


def changed_execution_keys(before: Any, after: Any) -> list[str]:
    """Dotted keys deciding what Roost executes whose value differs between two raw configs."""
    old, new = execution_values(before), execution_values(after)
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def refuse_execution_changes(request: Request, changed: list[str]) -> None:
    """403 on the trusted port when a change alters what Roost runs (see EXECUTION_SECTIONS)."""
    if changed and not request.app.state.authenticated:
        raise HTTPException(status_code=403, detail=f"{', '.join(changed)}: changes what Roost runs; only an admin "
                                                    "logged in on the authenticated port may change it")


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def config_editor_router(restart: Callable[[], None]) -> APIRouter:
    """The routes; `restart` asks the supervisor to restart from the config file."""
    router = APIRouter(tags=["config"])

    def source_of(context: Ctx) -> Path:
        source = context.loaded.source
        if source is None:
            raise HTTPException(status_code=409, detail="Roost runs on the built-in demo config; copy roost/config/demo.yml "
                                                        "to config/config.yml to edit it")
        return source

    @router.get("/config/raw", summary="The config file as written", response_class=PlainTextResponse)
    def raw_config(context: Ctx) -> PlainTextResponse:
        return PlainTextResponse(source_of(context).read_text(encoding="utf-8"))

    @router.get("/config/schema.json", summary="JSON Schema of the config, with key documentation")
    def schema() -> JSONResponse:
        return JSONResponse(config_schema())

    @router.post("/config/validate", summary="Validate config text; every error with its key path and line")
    def validate(body: ConfigText, context: Ctx) -> JSONResponse:
        loaded, errors, _raw = check_text(body.text, context.loaded.source)
        warnings = [str(w) for w in loaded.warnings] if loaded else []
        return JSONResponse({"valid": loaded is not None, "errors": errors, "warnings": warnings})

    @router.post("/config/save", summary="Validate and write the whole config file; optionally restart")
    def save(body: ConfigText, request: Request, context: Ctx, restart_after: bool = False) -> JSONResponse:
        source = source_of(context)
        if source.suffix.lower() == ".json":
            raise HTTPException(status_code=409, detail="the editor writes YAML configs only; this one is JSON")
        loaded, errors, raw = check_text(body.text, source)
        if loaded is None:
            return JSONResponse({"success": False, "message": f"not saved: {len(errors)} error(s)", "errors": errors},
                                status_code=400)
        try:
            before = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            before = {}
        refuse_execution_changes(request, changed_execution_keys(before, raw))
        write_atomically(source, body.text)
        requires_restart = context.on_config_change(loaded) if context.on_config_change else True
        if restart_after:
            restart()
            return JSONResponse({"success": True, "requires_restart": False, "restarting": True,
                                 "message": "config saved; Roost is restarting with it"})
        return JSONResponse({"success": True, "requires_restart": requires_restart, "restarting": False,
                             "message": "config saved" + ("; restart Roost to apply it" if requires_restart else " and applied")})

    @router.post("/restart", summary="Restart Roost's pipeline from the config file (Frigate's)")
    def restart_route() -> JSONResponse:
        restart()
        return JSONResponse({"success": True, "message": "Restarting (just a moment)"})

    return router
