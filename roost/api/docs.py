"""`/api/docs` without the internet: Swagger UI's page with its JavaScript and CSS served
from the `swagger-ui-bundle-v2` package (Swagger UI 5, which renders FastAPI's OpenAPI
3.1), instead of FastAPI's default CDN links, which leave the page blank offline."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS_URL = "/api/docs"
ASSETS_URL = "/api/docs/assets"
ASSETS_DIR = Path(swagger_ui_path)


def install_offline_docs(app: FastAPI, openapi_url: str) -> None:
    """Add `/api/docs` (the page) and `/api/docs/assets/*` (Swagger UI's files) to `app`,
    which must be created with `docs_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="swagger-ui-assets")

    async def docs_page(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi_url, title=f"{app.title} API",
                                   swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png")

    app.add_route(DOCS_URL, docs_page, include_in_schema=False)
