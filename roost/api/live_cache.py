"""The newest best snapshot per camera and label, kept from the hub's `BestSnapshot`
messages, for `/api/<camera>/<label>/best.jpg` and in-progress event snapshots."""

from __future__ import annotations

import threading
from typing import Any

from roost.events.event import BestSnapshot


class LiveCache:
    def __init__(self) -> None:
        self._best: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def on_message(self, message: Any) -> None:
        if isinstance(message, BestSnapshot):
            with self._lock:
                self._best[(message.camera, message.label)] = message.jpeg

    def best(self, camera: str, label: str) -> bytes | None:
        with self._lock:
            return self._best.get((camera, label))
