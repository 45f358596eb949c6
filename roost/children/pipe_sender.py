"""`PipeSender`: a child's one-way channel to the supervisor that no other process writes.

`multiprocessing.Queue` shares a write lock between every process putting into it; a
camera process killed while its feeder thread held that lock blocked every other camera's
results for good. Here each child has its own pipe: only it writes, only the supervisor
reads, so a death costs nothing but that pipe, which the supervisor sees end (EOF, or a
torn last message) and replaces together with the child.

Like the queue, `put_nowait` never blocks (a thread of this process does the writing), and
`close` waits a little for what is left to go out.
"""

from __future__ import annotations

import logging
import queue
import threading
from multiprocessing.connection import Connection
from typing import Any

logger = logging.getLogger(__name__)

#: Items waiting in this process for the pipe (each frame result, with pixels at times).
QUEUE_SIZE = 20
_CLOSE = object()


class PipeSender:
    def __init__(self, connection: Connection, maxsize: int = QUEUE_SIZE) -> None:
        self._connection = connection
        self._queue: queue.Queue[Any] = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._feed, name="pipe-sender", daemon=True)
        self._thread.start()

    def put_nowait(self, item: Any) -> None:
        """Raises `queue.Full` when the supervisor is this far behind."""
        self._queue.put_nowait(item)

    def put(self, item: Any, timeout: float | None = None) -> None:
        self._queue.put(item, timeout=timeout)

    def _feed(self) -> None:
        while True:
            item = self._queue.get()
            if item is _CLOSE:
                return
            try:
                self._connection.send(item)
            except (OSError, EOFError, ValueError) as error:  # the supervisor is gone or closed the pipe
                logger.warning("results pipe closed (%s); dropping what is left", error)
                return

    def close(self, timeout: float = 2.0) -> None:
        """Send what is queued (waiting up to `timeout` s), then close the pipe."""
        try:
            self._queue.put(_CLOSE, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        self._connection.close()
