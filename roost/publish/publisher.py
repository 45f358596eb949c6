"""`MqttPublisher`: hub messages out to MQTT under `mqtt.topic_prefix`, `/set` commands in.

paho-mqtt 2 runs its network loop on its own thread and reconnects with back-off
(`RECONNECT_MIN_S`..`RECONNECT_MAX_S`). Nothing here blocks the pipeline: hub messages
arrive on the hub's subscriber thread and `Client.publish` only queues. While the broker
is away, state topics (counts, switches, motion, snapshots, review status) keep their
latest value and feeds (events, reviews, tracked object updates) wait in a bounded
backlog; on every (re)connect Roost publishes `available: online`, the current state of
every control, the latest state values and then the backlog. At start each camera's
`review_status` is `NONE` (not retained, as in Frigate) and its GenAI description switches
(`object_descriptions/state`, `review_descriptions/state`) are `OFF`, retained.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from roost.config.root import RoostConfig
from roost.controls import CameraControls
from roost.hub import Hub, Subscription
from roost.publish.commands import CommandError, ControlCommands
from roost.publish.messages import Publication, StatsReport
from roost.publish.topics import (
    AVAILABLE_TOPIC, OFFLINE, ONLINE, control_states, publications, set_topic_parts, start_states,
)

logger = logging.getLogger(__name__)

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 8
KEEPALIVE_S = 30
#: Feed messages kept while disconnected; older ones are dropped first.
BACKLOG_SIZE = 2_000
#: Feeds are sent with QoS 1 so a message in flight when the link drops is resent.
FEED_QOS = 1
OFFLINE_WAIT_S = 2.0


class MqttPublisher:
    def __init__(self, config: RoostConfig, hub: Hub, controls: Mapping[str, CameraControls],
                 stats: Callable[[], dict[str, Any]] | None = None,
                 commands: ControlCommands | None = None) -> None:
        self.config = config
        self.mqtt = config.mqtt
        self.prefix = config.mqtt.topic_prefix
        self.qos = FEED_QOS if config.mqtt.qos is None else config.mqtt.qos  # Frigate's mqtt.qos
        self.hub = hub
        self.controls = controls
        self.stats = stats
        self.commands = commands or ControlCommands(config, controls, hub)
        self.connected = threading.Event()
        self.connections = 0  # successful connects so far (tests and logs)
        self._lock = threading.Lock()
        # Seeded with the start states, so the first connect sends them; later values of the
        # same topics (a review_status change) replace them.
        self._latest: dict[str, Publication] = {p.topic: p for p in start_states(config.cameras)}
        self._backlog: deque[Publication] = deque(maxlen=BACKLOG_SIZE)
        self._stopping = threading.Event()
        self._subscription: Subscription | None = None
        self._stats_thread: threading.Thread | None = None
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.mqtt.client_id, clean_session=True)
        if self.mqtt.user:
            client.username_pw_set(self.mqtt.user, self.mqtt.password)
        if self.mqtt.tls_ca_certs:
            client.tls_set(ca_certs=self.mqtt.tls_ca_certs, certfile=self.mqtt.tls_client_cert,
                           keyfile=self.mqtt.tls_client_key, cert_reqs=ssl.CERT_REQUIRED)
            if self.mqtt.tls_insecure:
                client.tls_insecure_set(True)
        client.will_set(self.topic(AVAILABLE_TOPIC), OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def topic(self, relative: str) -> str:
        return f"{self.prefix}/{relative}"

    def start(self) -> None:
        """Connect in the background (retrying until the broker answers) and start listening
        to the hub. Returns at once."""
        assert self.mqtt.host is not None, "mqtt.host is required to start the publisher"
        self._subscription = self.hub.subscribe("mqtt", self.handle)
        self.client.connect_async(self.mqtt.host, self.mqtt.port, keepalive=KEEPALIVE_S)
        self.client.loop_start()
        if self.stats is not None:
            self._stats_thread = threading.Thread(target=self._stats_loop, name="mqtt-stats", daemon=True)
            self._stats_thread.start()
        logger.info("MQTT: connecting to %s:%d as %s (prefix %s)", self.mqtt.host, self.mqtt.port,
                    self.mqtt.client_id, self.prefix)

    def stop(self) -> None:
        """Publish `offline`, disconnect and stop the threads."""
        self._stopping.set()
        if self._subscription is not None:
            self.hub.unsubscribe(self._subscription)
            self._subscription = None
        if self.connected.is_set():
            info = self.client.publish(self.topic(AVAILABLE_TOPIC), OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(OFFLINE_WAIT_S)
            except (RuntimeError, ValueError) as error:
                logger.warning("MQTT: could not publish offline: %s", error)
        self.client.disconnect()
        self.client.loop_stop()
        if self._stats_thread is not None:
            self._stats_thread.join(timeout=5)

    def handle(self, message: Any) -> None:
        """Publish one hub message (called on the hub's subscriber thread)."""
        for publication in publications(message):
            self.send(publication)

    def send(self, publication: Publication) -> None:
        with self._lock:
            if publication.state:
                self._latest[publication.topic] = publication
            if not self.connected.is_set():
                if not publication.state:
                    self._backlog.append(publication)
                return
            self._publish(publication)

    def _publish(self, publication: Publication) -> None:
        # QoS 1 for state too: a client with a persistent session that reconnects after a
        # broker restart later than Roost still gets the counts and states sent meanwhile.
        result = self.client.publish(self.topic(publication.topic), publication.wire_payload(),
                                     qos=self.qos, retain=publication.retain)
        if result.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            logger.warning("MQTT: publishing %s failed (%s)", publication.topic, mqtt.error_string(result.rc))

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode,
                    _properties: Any) -> None:
        if reason.is_failure:
            logger.error("MQTT: broker %s:%d refused the connection: %s", self.mqtt.host, self.mqtt.port, reason)
            return
        client.subscribe(self.topic("+/+/set"), qos=1)
        with self._lock:
            self.connections += 1
            self.connected.set()
            client.publish(self.topic(AVAILABLE_TOPIC), ONLINE, qos=1, retain=True)
            if self.connections == 1:
                self._clear_stale_retained()
            for state in control_states(self.controls.values()):
                for publication in publications(state):
                    self._latest[publication.topic] = publication
            for publication in list(self._latest.values()):
                self._publish(publication)
            backlog, self._backlog = list(self._backlog), deque(maxlen=BACKLOG_SIZE)
            for publication in backlog:
                self._publish(publication)
        logger.info("MQTT: connected to %s:%d (%d state topics, %d queued message(s) sent)",
                    self.mqtt.host, self.mqtt.port, len(self._latest), len(backlog))

    def _clear_stale_retained(self) -> None:
        """Earlier Roost versions retained `review_status`; an empty retained message deletes
        such a leftover on the broker (the current value follows, not retained)."""
        for camera in self.config.cameras:
            self.client.publish(self.topic(f"{camera}/review_status"), b"", qos=FEED_QOS, retain=True)

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode,
                       _properties: Any) -> None:
        with self._lock:
            self.connected.clear()
        if not self._stopping.is_set():
            logger.warning("MQTT: disconnected from %s:%d (%s); reconnecting", self.mqtt.host, self.mqtt.port, reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        parts = set_topic_parts(self.prefix, message.topic)
        if parts is None:
            return
        camera, name = parts
        try:
            self.commands.apply(camera, name, message.payload.decode("utf-8", errors="replace"))
        except CommandError as error:
            logger.warning("MQTT: ignored %s: %s", message.topic, error)

    def _stats_loop(self) -> None:
        assert self.stats is not None
        while not self._stopping.wait(self.mqtt.stats_interval):
            try:
                report = StatsReport(self.stats())
            except Exception:
                logger.exception("MQTT: building the stats failed; trying again in %d s", self.mqtt.stats_interval)
                continue
            self.handle(report)
