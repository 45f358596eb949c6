"""A listening MQTT client for publisher tests, against the real `mosquitto` fixture."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion


class Listener:
    """Subscribes to `<prefix>/#` and records every message (retained ones included).

    The constructor returns once the broker has acknowledged the subscription: a message
    that is not retained (`review_status`) published right after would otherwise be lost
    to a listener whose SUBSCRIBE is still in flight."""

    def __init__(self, port: int, prefix: str = "frigate", session: str | None = None) -> None:
        """`session`: a client id with a persistent session (messages queued while away)."""
        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.seen: list[tuple[str, bytes, bool]] = []
        self.prefix = prefix
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=session or f"listener-{time.monotonic_ns()}",
                                  clean_session=session is None)
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe(f"{prefix}/#", qos=1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, m.payload, bool(m.retain)))
        self.client.reconnect_delay_set(1, 2)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self.subscribed.wait(10.0):
            raise AssertionError(f"listener on port {port}: no SUBACK for {prefix}/# within 10s")

    def wait_for(self, topic: str, accept: Callable[[bytes], bool] = lambda _p: True,
                 timeout: float = 10.0, since: int = 0) -> bytes:
        """The payload of the first message on `topic` (relative to the prefix) that `accept`s,
        looking at what was already seen (from index `since`, see `mark`) first."""
        full = f"{self.prefix}/{topic}"
        for seen_topic, payload, _retain in self.seen[since:]:
            if seen_topic == full and accept(payload):
                return payload
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(item)
            if item[0] == full and accept(item[1]):
                return item[1]
        raise AssertionError(f"no accepted message on {full} within {timeout}s; "
                             f"seen: {sorted({t for t, _, _ in self.seen})}")

    def mark(self) -> int:
        """A position in the messages seen so far, for `wait_for(since=...)`."""
        self.drain(0.0)
        return len(self.seen)

    def drain(self, settle: float = 0.3) -> list[tuple[str, bytes, bool]]:
        time.sleep(settle)
        while not self.messages.empty():
            self.seen.append(self.messages.get())
        return self.seen

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def listen() -> Iterator[Callable[..., Listener]]:
    made: list[Listener] = []

    def make(port: int, prefix: str = "frigate", session: str | None = None) -> Listener:
        listener = Listener(port, prefix, session)
        made.append(listener)
        return listener

    yield make
    for listener in made:
        listener.close()

