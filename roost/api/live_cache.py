"""The newest best snapshot per camera and label, and per in-progress event, kept from the
hub's `BestSnapshot` messages, for `/api/<camera>/<label>/best.jpg` and the snapshot of an
event whose files are not written yet (two people on one camera each get their own)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from roost.events.event import BestSnapshot, EventChange

#: In-progress snapshots kept by event id; the oldest go first beyond this (ended events
#: are dropped at once).
MAX_EVENTS = 256


class LiveCache:
    def __init__(self) -> None:
        self._best: dict[tuple[str, str], bytes] = {}
        self._by_event: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def on_message(self, message: Any) -> None:
        if isinstance(message, BestSnapshot):
            with self._lock:
                self._best[(message.camera, message.label)] = message.jpeg
                if message.event_id:
                    self._by_event[message.event_id] = message.jpeg
                    self._by_event.move_to_end(message.event_id)
                    while len(self._by_event) > MAX_EVENTS:
                        self._by_event.popitem(last=False)
        elif isinstance(message, EventChange) and message.type == "end":
            with self._lock:
                self._by_event.pop(message.after.id, None)

    def best(self, camera: str, label: str) -> bytes | None:
        """The newest best snapshot of any `label` object on `camera`."""
        with self._lock:
            return self._best.get((camera, label))

    def best_of_event(self, event_id: str) -> bytes | None:
        """The newest snapshot of this in-progress event."""
        with self._lock:
            return self._by_event.get(event_id)
