"""`/api/version` (plain text, Frigate-style numbering), `/api/stats`, `/api/config`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from roost import FRIGATE_STYLE_VERSION
from roost.api.params import Ctx
from roost.api.response_cache import ResponseCache
from roost.config.effective import effective_config
from roost.detect.onnx_detector import model_labels, model_type_of
from roost.restream.plan import with_restreamed_streams

router = APIRouter(tags=["service"])


@router.get("/version", response_class=PlainTextResponse, summary="Version, e.g. 0.17.0-roost")
async def version() -> PlainTextResponse:
    return PlainTextResponse(FRIGATE_STYLE_VERSION)


#: Stats are rebuilt at most this often (seconds); building them walks processes and disks.
STATS_MAX_AGE_S = 1.0


@router.get("/stats", summary="Per-camera and detector figures, service info")
async def stats(request: Request, context: Ctx) -> Response:
    cache: ResponseCache = request.app.state.stats_cache
    body = await cache.get("stats", 0, lambda: bytes(JSONResponse(context.stats()).body))
    return Response(body, media_type="application/json")


@router.get("/config", summary="The effective config, secrets masked")
async def config(request: Request, context: Ctx) -> JSONResponse:
    cached = getattr(request.app.state, "effective_config", None)
    if cached is None or cached[0] is not context.loaded:  # config/set replaces `loaded`
        data = with_restreamed_streams(effective_config(context.loaded), context.loaded.config, context.loaded.secrets)
        # Frigate serves the merged labelmap (the model's file + `model.labelmap`), which the
        # annotation page offers as labels.
        data["model"]["labelmap"] = {str(index): label for index, label in
                                     enumerate(model_labels(context.loaded.config.model, context.model_cache))}
        data["model"]["model_type"] = model_type_of(context.loaded.config.model)
        cached = (context.loaded, data)
        request.app.state.effective_config = cached
    return JSONResponse(cached[1])
