"""Migrations on SQLite and on a real PostgreSQL cluster; one writer, concurrent readers."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import event, func, inspect, select, text

from roost.store import Database, database_url
from roost.store.database import MIGRATIONS_DIR
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


def single_head() -> str:
    """The one head revision of the migration scripts (two heads would be a merge mistake)."""
    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert len(heads) == 1, heads
    return str(heads[0])


def test_migrations_on_sqlite_use_wal(tmp_path: Path) -> None:
    db = Database(database_url(None, None, tmp_path))
    try:
        check_round_trip(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("select version_num from alembic_version")).scalar() == single_head()
        assert (tmp_path / "roost.db").exists()
    finally:
        db.close()


def test_the_database_file_is_private(tmp_path: Path) -> None:
    """It holds password hashes: 0600 for a new file, and an older world-readable one is fixed."""
    db = Database(database_url(None, None, tmp_path))
    try:
        check_round_trip(db)
        for name in ("roost.db", "roost.db-wal", "roost.db-shm"):
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        db.close()
    old = tmp_path / "old"
    old.mkdir()
    (old / "roost.db").touch(mode=0o644)
    (old / "roost.db").chmod(0o644)
    Database(database_url(None, None, old)).close()
    assert (old / "roost.db").stat().st_mode & 0o777 == 0o600


@pytest.mark.postgres
def test_migrations_on_real_postgresql(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        check_round_trip(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("select version_num from alembic_version")).scalar() == single_head()
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


def test_queued_writes_share_a_commit_and_a_failing_one_undoes_only_itself(tmp_path: Path) -> None:
    """Writes queued behind a slow one run together (fewer commits); one of them failing
    (a duplicate key) leaves the others written, in order, and fails its own future only."""
    db = Database(database_url(str(tmp_path / "x.db"), None, tmp_path))
    db.migrate()
    try:
        started, release = threading.Event(), threading.Event()

        def slow(session: Any) -> None:
            started.set()
            release.wait(5)
            session.add(make_event(0))

        first = db.writer.submit(slow)
        assert started.wait(5)
        order: list[int] = []

        def add(session: Any, index: int) -> int:
            session.add(make_event(index))
            session.flush()
            order.append(index)
            return index

        futures = [db.writer.submit(lambda s, i=i: add(s, i)) for i in range(1, 6)]
        duplicate = db.writer.submit(lambda s: add(s, 2))
        futures += [db.writer.submit(lambda s, i=i: add(s, i)) for i in range(6, 9)]
        release.set()
        first.result(5)
        assert [f.result(5) for f in futures] == [1, 2, 3, 4, 5, 6, 7, 8]
        with pytest.raises(Exception, match="UNIQUE"):
            duplicate.result(5)
        assert order[-8:] == [1, 2, 3, 4, 5, 6, 7, 8]  # run alone after the batch failed, in order
        assert db.writer.commits == 9
        with db.read() as session:
            assert sorted(session.scalars(select(EventRow.id)).all()) == sorted(make_event(i).id for i in range(9))

        # without a failure, queued writes commit together and all report success
        transactions: list[int] = []
        event.listen(db.engine, "commit", lambda connection: transactions.append(1))
        release.clear()
        started.clear()
        blocker = db.writer.submit(lambda s: (started.set(), release.wait(5)) and add(s, 20))
        assert started.wait(5)
        together = [db.writer.submit(lambda s, i=i: add(s, i)) for i in range(10, 20)]
        release.set()
        assert [f.result(5) for f in together] == list(range(10, 20))
        assert blocker.result(5) == 20 and db.writer.commits == 20
        assert len(transactions) == 2  # the blocker, then the ten queued behind it
    finally:
        db.close()
