"""`StopFlag`: the supervisor's "stop now" for its children, without a lock.

`multiprocessing.Event` guards its flag with a shared lock: a child killed (SIGKILL) while
inside `is_set()` leaves that lock taken, and every other process asking next waits for
good. A one-byte shared value is read and written without a lock, so a child can die at
any instruction and the others never notice.
"""

from __future__ import annotations

import time
from typing import Any

#: How often `wait` looks at the flag (seconds): stopping is never urgent to the millisecond.
POLL_S = 0.05


class StopFlag:
    def __init__(self, context: Any) -> None:
        self._value = context.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def is_set(self) -> bool:
        return bool(self._value.value)

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` s or until set; True when set (as `Event.wait`)."""
        deadline = time.monotonic() + timeout
        while not self.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_S, left))
        return True
