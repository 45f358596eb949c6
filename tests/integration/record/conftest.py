"""Fixtures for recording tests: one generated H.264 source per session, a migrated SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from record_streams import make_h264

from roost.restream.simulated import SimulatedCamera, SimulatedCameras
from roost.store import Database, database_url


@pytest.fixture(scope="session")
def h264_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_h264(tmp_path_factory.mktemp("source") / "source.mp4")


@pytest.fixture(scope="session")
def h264_camera(h264_source: Path) -> Iterator[str]:
    """`h264_source` as a live RTSP camera (looped at its own rate): its URL."""
    with SimulatedCameras([SimulatedCamera("source", clip=h264_source)]) as cameras:
        yield cameras.url("source")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    try:
        yield db
    finally:
        db.close()
