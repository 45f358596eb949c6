"""The annotation store on a migrated SQLite: the migration matches the model, images and
rows stay together, and `verified_frames` (what a tuner reads) is ordered by capture time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from roost.annotate.frames import AnnotationBox, AnnotationError
from roost.annotate.store import AnnotationStore, encode_frame, verified_frames
from roost.store import Database, database_url
from roost.store.models import Base


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AnnotationStore]:
    database = Database(database_url(None, None, tmp_path))
    database.migrate()
    yield AnnotationStore(database, tmp_path / "clips")
    database.close()


def _jpeg(value: int = 60) -> bytes:
    return encode_frame(np.full((48, 64, 3), value, np.uint8))


def test_the_migration_creates_exactly_the_model_table(store: AnnotationStore) -> None:
    with store.database.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if "annotation_frame" in str(d)] == []


def test_frames_and_images_live_and_die_together(store: AnnotationStore) -> None:
    person = AnnotationBox("person", (5, 6, 30, 40), 0.8, "detector")
    frame = store.add(_jpeg(), 64, 48, frame_time=1_700_000_000.25, source="live", camera="yard",
                      suggestions=[person])
    assert frame.image_path == store.folder / f"{frame.id}.jpg" and frame.image_path.is_file()
    assert frame.boxes == (person,) and frame.suggestions == (person,)
    assert cv2.imread(str(frame.image_path)).shape == (48, 64, 3)
    assert store.get(frame.id) == frame
    assert store.delete(frame.id) and not frame.image_path.exists() and store.get(frame.id) is None
    assert not store.delete(frame.id)
    with pytest.raises(AnnotationError):
        store.add(b"GIF89a not stored", 64, 48, frame_time=1.0, source="import")
    assert list(store.folder.iterdir()) == []


def test_verified_frames_are_what_a_tuner_reads_oldest_first(store: AnnotationStore) -> None:
    times = [1_700_000_300.0, 1_700_000_100.0, 1_700_000_200.0, 1_700_000_400.0]
    frames = [store.add(_jpeg(i * 40), 64, 48, frame_time=t, source="import",
                        boxes=[AnnotationBox("car", (1, 1, 20, 20))]) for i, t in enumerate(times)]
    for frame in frames[:3]:
        store.set_verified(frame.id, True)
    frames[2].image_path.unlink()  # an image lost on disk is left out, not a crash
    chosen = verified_frames(store.database, store.folder.parent)
    assert [f.frame_time for f in chosen] == [1_700_000_100.0, 1_700_000_300.0]
    assert all(f.verified and f.verified_at is not None and f.image_path.is_file() for f in chosen)
    assert chosen[0].boxes == (AnnotationBox("car", (1, 1, 20, 20)),)
    page, total = store.page(verified=True, limit=1)
    assert total == 3 and [f.frame_time for f in page] == [1_700_000_300.0]  # newest first
    assert store.counts() == {"verified": 3, "unverified": 1}
