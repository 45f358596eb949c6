"""Migrations on SQLite and on a real PostgreSQL cluster; one writer, concurrent readers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from roost.store import Database, database_url
from roost.store.models import EventRow, RecordingRow

EXPECTED_TABLES = {"event", "recordings", "reviewsegment", "timeline", "classification_attempt",
                   "user", "export", "alembic_version"}


def make_event(index: int) -> EventRow:
    return EventRow(id=f"{1700000000 + index}.000000-abc{index:03d}", label="person", camera="front",
                    start_time=1700000000.0 + index, zones=["yard"], data={"type": "object"})


def check_round_trip(db: Database) -> None:
    db.migrate()
    db.migrate()  # idempotent on every start
    assert EXPECTED_TABLES <= set(inspect(db.engine).get_table_names())
    db.write(lambda s: s.add_all([make_event(i) for i in range(5)]))
    with db.read() as session:
        rows = session.scalars(select(EventRow).order_by(EventRow.start_time)).all()
    assert [r.zones for r in rows] == [["yard"]] * 5
    assert rows[0].data == {"type": "object"} and rows[0].end_time is None


def migrations_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from roost.store.database import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrations_on_sqlite_use_wal(tmp_path: Path) -> None:
    db = Database(database_url(None, None, tmp_path))
    try:
        check_round_trip(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert (tmp_path / "roost.db").exists()
    finally:
        db.close()


@pytest.mark.postgres
def test_migrations_on_real_postgresql(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        check_round_trip(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("select version_num from alembic_version")).scalar() == migrations_head()
    finally:
        db.close()


def test_failed_write_rolls_back_only_itself(tmp_path: Path) -> None:
    db = Database(database_url(str(tmp_path / "x.db"), None, tmp_path))
    db.migrate()
    try:
        db.write(lambda s: s.add(make_event(1)))
        with pytest.raises(Exception):
            db.write(lambda s: s.add_all([make_event(2), make_event(1)]))  # duplicate key
        db.write(lambda s: s.add(make_event(3)))
        with db.read() as session:
            ids = sorted(session.scalars(select(EventRow.id)).all())
        assert ids == [make_event(1).id, make_event(3).id]
    finally:
        db.close()


def test_single_writer_with_concurrent_readers(tmp_path: Path) -> None:
    """Writers from many threads go through one path; readers never see errors or
    half-written batches while it runs."""
    db = Database(database_url(None, None, tmp_path))
    db.migrate()
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with db.read() as session:
                    count = session.scalar(select(func.count()).select_from(RecordingRow)) or 0
                assert count % 10 == 0  # batches of 10 are atomic
            except BaseException as error:  # collected and asserted below
                errors.append(error)
                return

    def writer(worker: int) -> None:
        for batch in range(10):
            rows = [RecordingRow(id=f"{worker}-{batch}-{i}", camera="c", path=f"/r/{worker}/{batch}/{i}.mp4",
                                 start_time=float(i), end_time=float(i + 10), duration=10.0)
                    for i in range(10)]
            db.write(lambda s, rows=rows: s.add_all(rows))

    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    time.sleep(0.1)
    stop.set()
    for t in readers:
        t.join()
    db.close()
    assert not errors
    check = Database(database_url(None, None, tmp_path))
    with check.read() as session:
        assert session.scalar(select(func.count()).select_from(RecordingRow)) == 400
    check.close()
