"""Roost: a local NVR with realtime object detection and classifiers trained in seconds."""

from importlib.metadata import PackageNotFoundError, version as _package_version

try:
    __version__ = _package_version("roost")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.17.0"

#: What `/api/version` and `/api/config` report: Frigate-style numbering, so the Home
#: Assistant integration (which refuses < 0.12 and enables classification from 0.17) accepts it.
FRIGATE_STYLE_VERSION = f"{__version__}-roost"
