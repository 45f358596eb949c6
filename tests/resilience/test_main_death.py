"""kill -9 of the main process: its children die with it (parent-death signal), and the
next start clears what a dead run leaves (shared memory named for a dead owner, a recorder
ffmpeg still writing the media dir's cache), so two recorders never write one camera."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from multiprocessing import resource_tracker, shared_memory
from pathlib import Path

import psutil
import pytest
import yaml

from roost.children.leftovers import segment_name
from roost.paths import model_cache_dir

from resilience_harness import raw_config, roost_children, shm_of

#: Fault injection over minutes of running Roost: the slow suite (`make test` runs it after the default one).
pytestmark = pytest.mark.slow


def _start(command: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "ROOST_MODEL_CACHE": str(model_cache_dir())}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _wait_started(process: subprocess.Popen[str], timeout: float = 90) -> str:
    assert process.stdout is not None
    output = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output += line
        if "Roost started" in line or process.poll() is not None:
            break
    assert "Roost started" in output, output
    return output


def _kinds(children: list[psutil.Process]) -> set[str]:
    names = set()
    for child in children:
        try:
            cmdline = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        names.add("recorder" if "ffmpeg" in cmdline and "/cache/" in cmdline else
                  "ffmpeg" if "ffmpeg" in cmdline else "python")
    return names


def test_children_die_with_a_killed_main_and_the_next_start_clears_leftovers(busy_scene: Path,
                                                                              tmp_path: Path) -> None:
    media = tmp_path / "media"
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(raw_config(busy_scene, None)))
    command = [sys.executable, "-m", "roost.cli", "serve", "-c", str(config), "--media-dir", str(media)]
    first = _start(command)
    try:
        _wait_started(first)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not ({"recorder", "ffmpeg"} <= _kinds(roost_children(first.pid))
                                                   and shm_of(first.pid)):
            time.sleep(0.5)
        children = roost_children(first.pid)
        assert {"recorder", "ffmpeg", "python"} <= _kinds(children), [c.cmdline() for c in children]
        assert shm_of(first.pid), "the run has its frame ring and detector blocks"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        gone, alive = psutil.wait_procs(children, timeout=10)
        left = [(p.pid, p.cmdline()) for p in alive if p.status() != psutil.STATUS_ZOMBIE]
        assert left == [], "children outlived their killed parent"
    finally:
        try:
            os.killpg(first.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # What an older, harder death can still leave: a segment of a dead owner and a recorder
    # of a dead run (reparented to init) writing this media dir's cache.
    stale = shared_memory.SharedMemory(segment_name("yard", "frames", owner=first.pid), create=True, size=1024)
    stale.close()
    resource_tracker.unregister(stale._name, "shared_memory")  # type: ignore[attr-defined]  # not ours to clean
    target = media / "cache" / "yard@%Y%m%d%H%M%S%z.mp4"
    argv = (f"ffmpeg -nostdin -loglevel error -re -f lavfi -i testsrc=size=64x64:rate=2 -t 60 "
            f"-f segment -segment_time 10 -strftime 1 '{target}'")
    subprocess.run(["sh", "-c", f"{argv} >/dev/null 2>&1 &"], check=True)
    deadline = time.monotonic() + 5
    orphans: list[psutil.Process] = []
    while time.monotonic() < deadline and not orphans:
        orphans = [p for p in psutil.process_iter(["cmdline"]) if str(target) in " ".join(p.info["cmdline"] or [])]
        time.sleep(0.1)
    assert orphans and orphans[0].ppid() != os.getpid()

    second = _start(command)
    try:
        output = _wait_started(second)
        assert not Path("/dev/shm", stale.name).exists(), "shared memory of the dead run is still there"
        assert "left by a dead run" in output
        _, still = psutil.wait_procs(orphans, timeout=5)
        assert still == [], "the dead run's recorder still writes the cache"
        recorders = [c for c in roost_children(second.pid) if "/cache/" in " ".join(c.cmdline())]
        assert len(recorders) == 1  # its own, and only that one
        children = roost_children(second.pid)
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            second.communicate()
    assert second.returncode == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []
    assert shm_of(second.pid) == []
