"""Engine, sessions, migrations and the single writer.

SQLite runs in WAL mode so the API's readers never block on the writer; every write goes
through `DatabaseWriter`, one thread with a queue, so there is exactly one writer path per
process. Any SQLAlchemy URL works (PostgreSQL for several nodes sharing one database).

A full disk loses no write: a write failing with "database or disk is full" (or ENOSPC) is
held back in memory with every write queued after it, in order, and retried every
`HOLD_RETRY_S` until space returns (disk-pressure cleanup frees it). At most `MAX_HELD`
writes are held; past that the oldest is given up, with an error in the log.
"""

from __future__ import annotations

import collections
import errno
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
#: While writes are held back (disk full), the first is retried this often (seconds).
HOLD_RETRY_S = 1.0
#: At most this many writes wait in memory for space; older ones are given up beyond.
MAX_HELD = 20_000
#: Queued writes run in one transaction at most this many at a time.
MAX_TOGETHER = 100
T = TypeVar("T")
Write = tuple[Callable[[Session], Any], Future[Any]]


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

    def write_unless_held(self, work: Callable[[Session], Any]) -> None:
        """Run `work` on the writer thread and wait for it, unless writes are held back for
        lack of disk space: then it is queued behind them and this returns at once, so a
        caller on a hot path (frame results, recording index) goes on."""
        future = self.writer.submit(work)
        while not future.done():
            if self.writer.holding:
                return
            try:
                future.result(timeout=0.5)
            except TimeoutError:
                continue
        future.result()

    def close(self) -> None:
        self.writer.stop()
        self.engine.dispose()


def is_disk_full(error: BaseException) -> bool:
    """SQLite's "database or disk is full", or ENOSPC from the file system, however wrapped."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "database or disk is full" in str(seen) or "No space left on device" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class DatabaseWriter:
    """Serialises every write of this process on one thread. The writes queued when the
    thread comes to them (up to `MAX_TOGETHER`) run in one session and transaction, so a
    busy camera's frame updates cost one commit between them instead of one each: the
    writer was the main process's largest cost with 8 busy cameras. An exception in any of
    them rolls them all back and each is run again alone, so an exception still undoes
    that one write only, and a full disk holds back the first one it stops, with every
    write after it, in order."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._queue: queue.Queue[Write | None] = queue.Queue()
        self.commits = 0
        #: Writes held back while the disk is full, oldest first (only the writer thread touches it).
        self._held: collections.deque[Write] = collections.deque()
        self.holding = False  # True while writes wait for disk space
        self.given_up = 0  # held writes dropped because more than MAX_HELD waited
        self._thread = threading.Thread(target=self._run, name="db-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future

    @property
    def held(self) -> int:
        return len(self._held)

    def _run(self) -> None:
        stopping = False
        while True:
            if self._held:
                self._retry_held()
                if stopping and not self._held:
                    return
            try:
                item = self._queue.get(timeout=HOLD_RETRY_S if self._held else None)
            except queue.Empty:
                continue
            if item is None:
                if not self._held:
                    return
                stopping = True
                continue
            if self._held:
                self._hold(item)
                continue
            batch = [item]
            while len(batch) < MAX_TOGETHER:
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                if queued is None:
                    self._queue.put(None)  # seen again once these are written
                    break
                batch.append(queued)
            self._attempt([write for write in batch if write[1].set_running_or_notify_cancel()])

    def _attempt(self, writes: list[Write]) -> None:
        """Run `writes` together, or each alone when that failed; a write held back (disk
        full) holds every later one behind it."""
        if len(writes) > 1 and self._execute_together(writes):
            return
        for work, future in writes:
            if self._held:
                self._keep_held((work, future))
            else:
                self._execute(work, future)

    def _execute_together(self, writes: list[Write]) -> bool:
        """All of `writes` in one transaction; False, with none of them written, when any
        raised or the commit failed."""
        try:
            with self._sessions() as session, session.begin():
                results = [work(session) for work, _ in writes]
        except Exception:  # each is run alone next: its own error is reported there
            return False
        self.commits += len(writes)  # before the callers hear of it, so their next read is fresh
        for (_, future), result in zip(writes, results):
            future.set_result(result)
        return True

    def _execute(self, work: Callable[[Session], Any], future: Future[Any]) -> bool:
        try:
            with self._sessions() as session, session.begin():
                result = work(session)
        except Exception as error:
            if is_disk_full(error):
                if not self.holding:
                    logger.error("database write failed: disk full; holding writes in memory until space "
                                 "returns (%s)", error)
                self.holding = True
                self._held.appendleft((work, future))  # first in line: order is kept
                return False
            logger.exception("database write failed")
            future.set_exception(error)
            return True
        self.commits += 1  # before the caller hears of it, so its next read is fresh
        future.set_result(result)
        return True

    def _hold(self, item: Write) -> None:
        if item[1].set_running_or_notify_cancel():
            self._keep_held(item)

    def _keep_held(self, item: Write) -> None:
        self._held.append(item)
        while len(self._held) > MAX_HELD:
            _, oldest = self._held.popleft()
            self.given_up += 1
            logger.error("more than %d database writes held back for lack of space; the oldest is given up",
                         MAX_HELD)
            oldest.set_exception(OSError(errno.ENOSPC, "database write given up: disk full for too long"))

    def _retry_held(self) -> None:
        """Write what is held, in order, until one fails again for lack of space."""
        while self._held:
            work, future = self._held.popleft()
            if not self._execute(work, future):
                return
        self.holding = False
        logger.warning("disk space is back: the database writes held back are written")

    def stop(self) -> None:
        """Finish queued writes, then end the thread (held writes get `HOLD_RETRY_S`-spaced
        tries until the join below gives up)."""
        self._queue.put(None)
        self._thread.join(timeout=30)
