"""The newest log records of the main process kept in memory, for the web UI's log tail
(`GET /api/logs`): a bounded ring, so a chatty logger can never grow memory."""

from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass

#: Records kept; the oldest are dropped first.
RING_SIZE = 5000
LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class LogLine:
    time: float  # epoch seconds
    level: str  # lower case, one of LEVELS
    logger: str
    message: str  # formatted message, with the traceback when there was one


class RingHandler(logging.Handler):
    def __init__(self, size: int = RING_SIZE) -> None:
        super().__init__(logging.DEBUG)
        self.lines: collections.deque[LogLine] = collections.deque(maxlen=size)
        self._ring_lock = threading.Lock()
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + self._formatter.formatException(record.exc_info)
            line = LogLine(record.created, record.levelname.lower(), record.name, message)
        except Exception:  # a record that cannot be formatted must not break logging
            self.handleError(record)
            return
        with self._ring_lock:
            self.lines.append(line)

    def tail(self, min_level: str = "debug", limit: int = 500, logger_prefix: str = "") -> tuple[list[LogLine], int]:
        """The newest `limit` lines at `min_level` or above (oldest first) and how many matched."""
        floor = LEVELS.index(min_level)
        with self._ring_lock:
            lines = list(self.lines)
        matched = [line for line in lines
                   if LEVELS.index(line.level if line.level in LEVELS else "critical") >= floor
                   and line.logger.startswith(logger_prefix)]
        return matched[-limit:] if limit else [], len(matched)


_installed: RingHandler | None = None
_install_lock = threading.Lock()


def log_ring() -> RingHandler:
    """The process's ring, attached to the root logger on first use (idempotent). It sees
    what the root logger's level lets through (`logger.default` in the config)."""
    global _installed
    with _install_lock:
        if _installed is None:
            _installed = RingHandler()
            logging.getLogger().addHandler(_installed)
        return _installed
