"""Children die with their parent: Linux's parent-death signal (prctl PR_SET_PDEATHSIG).

Without it, a supervisor killed with SIGKILL leaves its capture, camera, detector and
recorder children running (parent pid 1), and the next start runs a second recorder on
the same camera. The signal is tied to the *thread* that started the child, so children
must be started by a thread that lives as long as they do (the supervisor's main thread,
or the recorder's watcher, which ends its ffmpeg before it returns).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
from collections.abc import Callable

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    function: Callable[..., int] = libc.prctl
    return function


_PRCTL = _prctl()


def set_parent_death_signal(signum: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send `signum` to this process when its parent thread ends; False
    where that is not available (not Linux)."""
    if _PRCTL is None:
        return False
    return _PRCTL(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0


def die_with_parent(parent_pid: int | None, signum: int = signal.SIGKILL) -> None:
    """In a child at start: die with the parent, and exit at once if it is already gone
    (it may have died between our fork and the prctl, when no signal would come)."""
    set_parent_death_signal(signum)
    if parent_pid is not None and os.getppid() != parent_pid:
        logger.error("parent %d is gone; exiting", parent_pid)
        os._exit(1)


def preexec_die_with_parent() -> None:
    """`subprocess.Popen(preexec_fn=...)` for ffmpeg children: killed with the process that
    started them. Runs between fork and exec, so it only makes the one system call."""
    set_parent_death_signal(signal.SIGKILL)
