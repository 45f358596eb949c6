"""Sliding-window limits in Frigate's spelling (`1/second;5/minute;20/hour`), per key."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

PERIODS_S = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


def parse_limits(text: str | None) -> list[tuple[int, float]]:
    """`[(count, period seconds), ...]`; empty for None/"" (no limit). Raises ValueError."""
    limits: list[tuple[int, float]] = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        count, _, period = part.strip().partition("/")
        unit = period.strip().lower().rstrip("s") or "second"
        if unit not in PERIODS_S or not count.strip().isdigit():
            raise ValueError(f"rate limit {part.strip()!r}: expected '<count>/<second|minute|hour|day>'")
        limits.append((int(count), PERIODS_S[unit]))
    return limits


class RateLimiter:
    """Counts hits per key; `blocked(key)` once any window holds its count of hits."""

    def __init__(self, limits: list[tuple[int, float]]) -> None:
        self.limits = limits
        self._clock = time.monotonic
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._longest = max((p for _, p in limits), default=0.0)

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and now - hits[0] > self._longest:
            hits.popleft()
        return hits

    def blocked(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            hits = self._prune(key, now)
            return any(sum(1 for t in hits if now - t < period) >= count for count, period in self.limits)

    def hit(self, key: str) -> None:
        with self._lock:
            self._prune(key, self._clock()).append(self._clock())
