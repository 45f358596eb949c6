"""Fixtures for API tests: one seeded Roost per module, TestClients for both ports, and a
real uvicorn server for streaming tests."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_seed import Seeded, make_segment, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from roost.api import create_app


@pytest.fixture(scope="session")
def segment_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("segment") / "segment.mp4"
    make_segment(path)
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, segment_source: Path) -> Iterator[Seeded]:
    result = seed(tmp_path_factory.mktemp("media"), segment_source)
    yield result
    result.context.hub.close()
    result.context.database.close()


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.context, authenticated=False)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def stop_event() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()
