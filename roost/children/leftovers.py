"""What a dead run leaves behind, found and removed at the next start.

Shared-memory segments are named `roost-<owner pid>-...` (`segment_name`), so a segment
whose owner is gone is known to be garbage: a supervisor killed with SIGKILL never unlinks
its frame rings and detector tensors, and /dev/shm is memory. Recorder ffmpegs of a run
whose supervisor died write into the same `<media>/cache`; a second recorder on the same
camera would interleave segments, so they are killed before the new recorders start.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)

SHM_DIR = Path("/dev/shm")
SEGMENT_PREFIX = "roost-"
_OWNER = re.compile(r"^roost-(\d+)-")


def segment_name(*parts: str, owner: int | None = None) -> str:
    """A shared-memory name carrying its owner's pid: `roost-<pid>-<parts joined by ->`.

    >>> segment_name("front", "frames", owner=42)
    'roost-42-front-frames'
    """
    return "-".join([SEGMENT_PREFIX + str(os.getpid() if owner is None else owner), *parts])


def segment_owner(name: str) -> int | None:
    """The owner pid in a Roost segment name, None for anybody else's segment.

    >>> segment_owner("roost-42-front-frames"), segment_owner("psm_1234")
    (42, None)
    """
    match = _OWNER.match(name)
    return int(match.group(1)) if match else None


def stale_segments(names: list[str], alive: set[int] | None = None) -> list[str]:
    """The Roost segments among `names` whose owner process no longer exists."""
    stale = []
    for name in names:
        owner = segment_owner(name)
        if owner is None:
            continue
        running = owner in alive if alive is not None else psutil.pid_exists(owner)
        if not running:
            stale.append(name)
    return stale


def remove_stale_segments(shm_dir: Path = SHM_DIR) -> list[str]:
    """Unlink the segments dead Roost runs left in `shm_dir`; returns their names."""
    try:
        names = [p.name for p in shm_dir.iterdir()]
    except OSError:
        return []
    removed = []
    for name in stale_segments(names):
        try:
            (shm_dir / name).unlink()
            removed.append(name)
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("cannot remove shared memory %s left by a dead run: %s", name, error)
    if removed:
        logger.warning("removed %d shared-memory segment(s) left by a dead run: %s",
                       len(removed), ", ".join(sorted(removed)))
    return removed


def orphan_recorders(cache_dir: Path, own_pid: int | None = None) -> list[psutil.Process]:
    """ffmpeg processes writing segments into `cache_dir` that no live process of ours
    started (their Roost died): they would record the camera a second time."""
    own_pid = os.getpid() if own_pid is None else own_pid
    target = str(cache_dir.resolve()) + os.sep
    found = []
    for process in psutil.process_iter(["pid", "ppid", "name", "cmdline"]):
        try:
            cmdline = process.info["cmdline"] or []
            if not cmdline or "ffmpeg" not in os.path.basename(cmdline[0]):
                continue
            if not any(arg.startswith(target) for arg in cmdline[1:]):
                continue
            if process.info["ppid"] == own_pid:
                continue  # one of this run's recorders
            if _has_live_supervisor(process.info["ppid"]):
                continue  # another live Roost's (its own business to stop)
            found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _has_live_supervisor(ppid: int) -> bool:
    """A recorder's parent is the Roost supervisor, a Python process; an orphan's parent is
    init or a subreaper, which is not."""
    if ppid <= 1:
        return False
    try:
        parent = psutil.Process(ppid)
        words = " ".join([parent.name(), *parent.cmdline()])
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return "python" in words or "roost" in words


def kill_orphan_recorders(cache_dir: Path) -> list[int]:
    """Kill `orphan_recorders(cache_dir)`; returns their pids."""
    orphans = orphan_recorders(cache_dir)
    for process in orphans:
        logger.warning("killing recorder ffmpeg %d left by a dead run (it writes into %s)", process.pid, cache_dir)
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(orphans, timeout=5)
    return [p.pid for p in orphans]
