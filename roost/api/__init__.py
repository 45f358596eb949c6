"""Roost stage: api. Frigate-compatible HTTP API (FastAPI): one router per resource,
`create_app` for one listener, `serve_api` for both ports, `ApiContext` as the only input."""

from roost.api.context import ApiContext, LatestFrame, ManualEvents, OverlayObject

__all__ = ["ApiContext", "LatestFrame", "ManualEvents", "OverlayObject", "create_app", "serve_api"]


def __getattr__(name: str) -> object:
    # create_app/serve_api import every router; load them only when asked for, so that
    # `roost.api.context` stays cheap to import for the supervisor's type hints.
    if name == "create_app":
        from roost.api.app import create_app
        return create_app
    if name == "serve_api":
        from roost.api.server import serve_api
        return serve_api
    raise AttributeError(name)
