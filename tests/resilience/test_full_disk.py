"""A full media volume (a small tmpfs the test mounts): database writes that fail for lack
of space wait in memory and are written when space returns; disk-pressure relief frees
what Roost wrote (an event row left open does not protect later recordings), keeps space
above the floor, and recording and events go on with nothing lost."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from roost.app import Supervisor
from roost.config import validate_raw
from roost.paths import model_cache_dir
from roost.record.disk_pressure import effective_floor
from roost.store import Database
from roost.store.models import EventRow, RecordingRow

from resilience_harness import EventLedger, raw_config

#: Fault injection over minutes of running Roost: the slow suite (`make test` runs it after the default one).
pytestmark = pytest.mark.slow

MB = 2**20


@pytest.fixture
def small_volume(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A tmpfs of `request.param` MB (default 64) mounted for the test."""
    size = getattr(request, "param", 64)
    mount = tmp_path / "volume"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(volume: Path, leave: int = 0) -> Path:
    """A file that takes the volume's free space but `leave` bytes (not Roost's: cleanup
    may not touch it)."""
    filler = volume / "filler.bin"
    block = b"\0" * MB
    with filler.open("ab") as out:
        try:
            while os.statvfs(volume).f_bavail * os.statvfs(volume).f_frsize > leave + MB:
                out.write(block)
                out.flush()
            out.write(b"\0" * max(0, os.statvfs(volume).f_bavail * os.statvfs(volume).f_frsize - leave))
            out.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def _event(index: int) -> EventRow:
    return EventRow(id=f"{1000.0 + index:.6f}-held{index:02d}", label="person", camera="yard", start_time=1000.0 + index,
                    end_time=1001.0 + index, thumbnail="x" * 400_000)  # big rows: the WAL must grow


@pytest.mark.parametrize("small_volume", [16], indirect=True)
def test_database_writes_held_for_lack_of_space_are_written_when_it_returns(small_volume: Path) -> None:
    database = Database(f"sqlite:///{small_volume / 'roost.db'}")
    database.migrate()
    try:
        filler = fill(small_volume)
        futures = [database.writer.submit(lambda s, i=i: s.add(_event(i))) for i in range(20)]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not database.writer.holding:
            time.sleep(0.05)
        assert database.writer.holding, "the disk is full, yet no write was held"
        time.sleep(1.5)  # retried meanwhile, still no room
        assert not all(f.done() for f in futures) and database.writer.held > 0
        database.write_unless_held(lambda s: None)  # a caller on a hot path is not blocked
        filler.unlink()
        for future in futures:
            future.result(timeout=10)
        assert not database.writer.holding and database.writer.given_up == 0
        with database.read() as session:
            ids = list(session.scalars(select(EventRow.id).order_by(EventRow.start_time)))
        assert ids == [_event(i).id for i in range(20)]  # every one, in order
    finally:
        database.close()


def _seed_old_recordings(supervisor: Supervisor, count: int, size: int) -> list[Path]:
    """`count` recordings of `size` bytes from two hours ago, as an earlier run wrote them."""
    assert supervisor.database is not None
    start = time.time() - 7200
    paths, rows = [], []
    for index in range(count):
        begin = start + 10 * index
        path = supervisor.media_dir / "recordings" / time.strftime("%Y-%m-%d/%H", time.gmtime(begin)) / "yard" / \
            time.strftime(f"%M.%S.{index:03d}.mp4", time.gmtime(begin))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        paths.append(path)
        rows.append(RecordingRow(id=f"{begin:.6f}-seed{index:02d}", camera="yard", path=str(path), start_time=begin,
                                 end_time=begin + 10, duration=10, motion=1, objects=1, segment_size=size / MB))
    supervisor.database.write(lambda s: s.add_all(rows))
    return paths


def test_a_full_media_volume_is_relieved_and_recording_and_events_go_on(busy_scene: Path,
                                                                        small_volume: Path) -> None:
    media = small_volume / "media"
    supervisor = Supervisor(validate_raw(raw_config(busy_scene, None)), media, model_cache_dir())
    ledger = EventLedger()
    ledger.attach(supervisor)
    supervisor.start()
    try:
        assert supervisor.database is not None and supervisor.maintainer is not None
        seeded = _seed_old_recordings(supervisor, 20, MB)
        # An event row left open (its end could not be written) from before the seeded
        # recordings: it must not keep them once nothing tracks it.
        stale = EventRow(id=f"{time.time() - 9000:.6f}-stale0", label="person", camera="yard",
                         start_time=time.time() - 9000, end_time=None, last_seen=time.time() - 8990)
        supervisor.database.write(lambda s: s.add(stale))
        time.sleep(5)  # events and recordings under way
        filled_at = time.time()
        fill(small_volume)
        total = os.statvfs(small_volume).f_blocks * os.statvfs(small_volume).f_frsize
        floor = effective_floor(0, total)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and os.statvfs(small_volume).f_bavail * os.statvfs(small_volume).f_frsize < floor:
            supervisor.pipeline.restart_crashed()  # type: ignore[union-attr]
            time.sleep(0.5)
        free = os.statvfs(small_volume).f_bavail * os.statvfs(small_volume).f_frsize
        assert free >= floor, f"{free / MB:.1f} MB free, floor {floor / MB:.1f} MB"
        assert sum(not p.exists() for p in seeded) >= 5  # Roost's own old recordings made the room
        # recording goes on: segments written after the volume filled get indexed
        deadline = time.monotonic() + 45
        newer = 0
        while time.monotonic() < deadline and not newer:
            supervisor.pipeline.restart_crashed()  # type: ignore[union-attr]
            with supervisor.database.read() as session:
                newer = session.scalar(select(func.count()).select_from(RecordingRow)
                                       .where(RecordingRow.start_time > filled_at)) or 0
            time.sleep(1)
        assert newer, "no recording indexed after the volume filled"
        stats = supervisor.stats()
        assert stats["cameras"]["yard"]["camera_fps"] > 0 and not stats["cameras"]["yard"]["stalled"]
        supervisor.database.write(lambda s: s.delete(s.get(EventRow, stale.id)))  # not one of this run's
    finally:
        supervisor.stop()
    assert supervisor.database is not None
    assert supervisor.database.writer.given_up == 0 and not supervisor.database.writer.holding
    reopened = Database(f"sqlite:///{media / 'roost.db'}")
    try:
        with reopened.read() as session:
            rows = {row.id: row for row in session.scalars(select(EventRow))}
    finally:
        reopened.close()
    assert rows, "no event at all"
    assert ledger.problems(rows) == []
