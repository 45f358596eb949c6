"""Engine, sessions, migrations and the single writer.

SQLite runs in WAL mode so the API's readers never block on the writer; every write goes
through `DatabaseWriter`, one thread with a queue, so there is exactly one writer path per
process. Any SQLAlchemy URL works (PostgreSQL for several nodes sharing one database).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")


def database_url(path: str | None, url: str | None, media_dir: Path) -> str:
    """`database.url` as given, else a SQLite file at `database.path` or `<media>/roost.db`."""
    if url:
        return url
    return f"sqlite:///{Path(path) if path else media_dir / 'roost.db'}"


#: The database holds password hashes: only the user Roost runs as may read it.
DB_FILE_MODE = 0o600


def restrict_file_mode(db_file: Path) -> None:
    """Create the SQLite file as 0600 (or make an existing one so, with its WAL and shared
    memory files: SQLite creates those with the database file's mode)."""
    if not db_file.exists():
        os.close(os.open(db_file, os.O_WRONLY | os.O_CREAT, DB_FILE_MODE))
    for path in (db_file, db_file.with_name(db_file.name + "-wal"), db_file.with_name(db_file.name + "-shm")):
        try:
            if path.stat().st_mode & 0o777 != DB_FILE_MODE:
                os.chmod(path, DB_FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError as error:  # someone else's file: say so, SQLite will report what it can
            logger.warning("cannot make %s private (mode 600): %s", path, error)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            db_file = url.split("///", 1)[-1]
            if db_file and db_file != ":memory:":
                Path(db_file).parent.mkdir(parents=True, exist_ok=True)
                restrict_file_mode(Path(db_file))
            self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writer = DatabaseWriter(self._sessions)

    def migrate(self) -> None:
        """Bring the schema to the newest revision (run on every start)."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
        logger.info("database ready at %s", self.engine.url.render_as_string(hide_password=True))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short-lived session for reading; never commit through it."""
        with self._sessions() as session:
            yield session

    @property
    def generation(self) -> int:
        """Writes this process has committed so far: a cached answer made at generation N
        is stale once this moved (other nodes' writes are not counted)."""
        return self.writer.commits

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` on the writer thread, committed, and wait for its result."""
        return self.writer.submit(work).result()

    def close(self) -> None:
        self.writer.stop()
        self.engine.dispose()


class DatabaseWriter:
    """Serialises every write of this process on one thread: each submitted function gets
    its own session and transaction; an exception rolls back that one unit only."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._queue: queue.Queue[tuple[Callable[[Session], Any], Future[Any]] | None] = queue.Queue()
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name="db-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            work, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                with self._sessions() as session, session.begin():
                    result = work(session)
                self.commits += 1  # before the caller hears of it, so its next read is fresh
                future.set_result(result)
            except Exception as error:  # handed to the caller through the future
                logger.exception("database write failed")
                future.set_exception(error)

    def stop(self) -> None:
        """Finish queued writes, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)
