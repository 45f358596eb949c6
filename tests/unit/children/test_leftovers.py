"""What a dead run left is recognised by name and owner, and nothing of anybody else's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from multiprocessing import resource_tracker, shared_memory
from pathlib import Path

import psutil

from roost.children.leftovers import (
    orphan_recorders, remove_stale_segments, segment_name, segment_owner, stale_segments,
)


def test_only_roost_segments_of_dead_owners_are_stale() -> None:
    names = ["roost-10-front-frames", "roost-11-pool5-front-in", "psm_abc", "roost-x-1", "sem.mp-1",
             segment_name("back", "frames", owner=12)]
    assert [segment_owner(n) for n in names] == [10, 11, None, None, None, 12]
    assert stale_segments(names, alive={11}) == ["roost-10-front-frames", "roost-12-back-frames"]


def test_a_dead_owners_segment_is_removed_a_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    assert not psutil.pid_exists(dead_pid)
    left = shared_memory.SharedMemory(segment_name("cam", "frames", owner=dead_pid), create=True, size=64)
    mine = shared_memory.SharedMemory(segment_name("cam", "frames"), create=True, size=64)
    try:
        resource_tracker.unregister(left._name, "shared_memory")  # type: ignore[attr-defined]  # removed below
        removed = remove_stale_segments()
        assert left.name in removed and mine.name not in removed
        assert not Path("/dev/shm", left.name).exists() and Path("/dev/shm", mine.name).exists()
    finally:
        left.close()
        mine.close()
        mine.unlink()


def test_an_ffmpeg_writing_the_cache_without_its_roost_is_an_orphan(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    target = str(cache / "front@%Y%m%d%H%M%S.mkv")
    argv = f"ffmpeg -nostdin -loglevel error -re -f lavfi -i testsrc=size=64x64:rate=2 -t 30 -f segment -strftime 1 '{target}'"
    # started through a shell that exits at once: that ffmpeg is reparented to init (an orphan)
    subprocess.run(["sh", "-c", f"{argv} >/dev/null 2>&1 &"], check=True)
    ours = subprocess.Popen(["sh", "-c", f"exec {argv}"])  # one of this run's recorders
    try:
        deadline = time.monotonic() + 5
        found: list[psutil.Process] = []
        while time.monotonic() < deadline and not found:
            found = orphan_recorders(cache)
            time.sleep(0.1)
        assert found and all(p.pid != ours.pid for p in found)
        assert all(p.ppid() != os.getpid() for p in found)
    finally:
        for process in orphan_recorders(cache):
            process.kill()
        ours.kill()
        ours.wait()
