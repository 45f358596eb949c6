"""In-process fan-out of messages (event changes, counts, motion, stats, classification
states) from the pipeline to MQTT, the websocket and anything else that listens.

Publishing never blocks the pipeline: each subscriber has its own bounded queue and
thread; when a subscriber falls behind, its oldest messages are dropped and counted.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the message types import the stages that publish them
    from roost.publish.topics import HubMessage

logger = logging.getLogger(__name__)

SUBSCRIBER_QUEUE_SIZE = 10_000


class Subscription:
    def __init__(self, name: str, handler: Callable[[HubMessage], None]) -> None:
        self.name = name
        self.handler = handler
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name=f"hub-{name}", daemon=True)
        self._thread.start()

    def offer(self, message: HubMessage | object) -> None:
        while True:
            try:
                self.queue.put_nowait(message)
                return
            except queue.Full:
                try:
                    self.queue.get_nowait()
                    self.dropped += 1
                    if self.dropped % 1000 == 1:
                        logger.warning("subscriber %s is behind; dropped %d message(s)", self.name, self.dropped)
                except queue.Empty:
                    pass

    def _run(self) -> None:
        while True:
            message = self.queue.get()
            if message is _STOP:
                return
            try:
                self.handler(message)
            except Exception:
                logger.exception("subscriber %s failed on %s", self.name, type(message).__name__)

    def close(self, timeout: float = 5.0) -> None:
        self.offer(_STOP)
        self._thread.join(timeout)


_STOP = object()


class Hub:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, name: str, handler: Callable[[HubMessage], None]) -> Subscription:
        subscription = Subscription(name, handler)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
        subscription.close()

    def publish(self, message: HubMessage) -> None:
        with self._lock:
            targets = list(self._subscriptions)
        for subscription in targets:
            subscription.offer(message)

    def close(self) -> None:
        with self._lock:
            targets, self._subscriptions = self._subscriptions, []
        for subscription in targets:
            subscription.close()
