"""`ResponseCache`: answers of hot read-only routes, shared by concurrent requests.

Home Assistant and dashboards poll the same few queries (`/api/events?limit=...`,
`/api/stats`); with many clients at once each would run the same query and build the same
JSON. An answer is kept until the database changes (`Database.generation`: every commit of
this process moves it, so a client that just wrote reads its write) and at most
`max_age_s` (other nodes' writes, live figures), and a request arriving while the same
answer is being made waits for it instead of making it again.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

MAX_ENTRIES = 256


@dataclass(frozen=True)
class _Entry:
    made_at: float
    generation: int
    body: bytes


class ResponseCache:
    def __init__(self, max_age_s: float = 1.0, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age_s = max_age_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._making: dict[tuple[str, int], asyncio.Future[bytes]] = {}
        self.made = 0  # answers built (not served from the cache), for tests and benches

    def _fresh(self, key: str, generation: int) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry.generation != generation or time.monotonic() - entry.made_at > self.max_age_s:
            return None
        return entry.body

    async def get(self, key: str, generation: int, make: Callable[[], bytes]) -> bytes:
        """The cached body for `key` at `generation`, else `make()` run on the thread pool
        (once, however many requests ask for it meanwhile; a requester that goes away does
        not cancel it for the others)."""
        body = self._fresh(key, generation)
        if body is not None:
            return body
        task = self._making.get((key, generation))
        if task is None:
            task = asyncio.ensure_future(self._make(key, generation, make))
            self._making[(key, generation)] = task
        return await asyncio.shield(task)

    async def _make(self, key: str, generation: int, make: Callable[[], bytes]) -> bytes:
        try:
            body = await run_in_threadpool(make)
        finally:
            del self._making[(key, generation)]
        self.made += 1
        self._entries[key] = _Entry(time.monotonic(), generation, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return body
