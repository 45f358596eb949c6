"""Event latency for bench/pipeline.py: from the first video frame in which people are seen
to Roost's MQTT `frigate/events` `new` message, and to the first event message saying
`has_snapshot`, with the default thresholds, at detect 5 fps.

The camera reads raw frames from a FIFO that this bench writes at 10 fps, so the moment a
frame reaches Roost's ffmpeg is known (a write of a whole frame returns once ffmpeg has read
it). The feed: the plaza of vtest.avi without people (the median of 100 of its frames) for
`EMPTY_S`, then `PEOPLE_S` of vtest.avi's own frames (people walking), again and again, each
time from a different part of the video; the first people frame of each cycle starts the
clock. The broker is a Mosquitto of our own on a free port.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from roost.config import validate_raw
from roost.paths import model_cache_dir

WIDTH, HEIGHT, FEED_FPS = 768, 576, 10
EMPTY_S, PEOPLE_S, WARMUP_S = 10.0, 5.0, 12.0
FRAME_BYTES = WIDTH * HEIGHT * 3 // 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vtest_yuv(vtest: Path) -> list[bytes]:
    """Every frame of vtest.avi as I420 bytes."""
    capture = cv2.VideoCapture(str(vtest))
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(bytes(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)))
    capture.release()
    return frames


def empty_plaza(frames: list[bytes]) -> bytes:
    """The median of 100 frames spread over the video: the plaza with nobody on it."""
    step = max(1, len(frames) // 100)
    stack = np.stack([np.frombuffer(f, np.uint8) for f in frames[::step]])
    return bytes(np.median(stack, axis=0).astype(np.uint8))


@dataclass
class Feed:
    """What the feeder wrote: the wall time each cycle's first people frame reached ffmpeg."""

    appeared: list[float] = field(default_factory=list)
    error: str | None = None


def feed(fifo: Path, frames: list[bytes], cycles: int, result: Feed, stop: threading.Event) -> None:
    background = empty_plaza(frames)
    people = int(PEOPLE_S * FEED_FPS)
    starts = [(60 + i * 117) % max(1, len(frames) - people) for i in range(cycles)]
    schedule: list[tuple[bytes, int | None]] = [(background, None)] * int(WARMUP_S * FEED_FPS)
    for cycle, start in enumerate(starts):
        schedule += [(frames[start + k], cycle if k == 0 else None) for k in range(people)]
        schedule += [(background, None)] * int(EMPTY_S * FEED_FPS)
    try:
        with fifo.open("wb", buffering=0) as out:
            began = time.monotonic()
            for index, (frame, cycle) in enumerate(schedule):
                if stop.is_set():
                    return
                delay = began + index / FEED_FPS - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                out.write(frame)
                if cycle is not None:
                    result.appeared.append(time.time())
    except OSError as error:
        result.error = f"feeding {fifo}: {error}"


@dataclass
class Heard:
    new: list[float] = field(default_factory=list)
    snapshot: list[float] = field(default_factory=list)
    snapshot_ids: set[str] = field(default_factory=set)


def listen(port: int, heard: Heard) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{time.monotonic_ns()}")

    def on_message(_c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        now = time.time()
        event = json.loads(message.payload)
        after = event.get("after") or {}
        if event.get("type") == "new":
            heard.new.append(now)
        if after.get("has_snapshot") and after.get("id") not in heard.snapshot_ids:
            heard.snapshot_ids.add(after.get("id"))
            heard.snapshot.append(now)

    subscribed = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe("frigate/events", qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not subscribed.wait(10):
        raise RuntimeError("no SUBACK from the bench's Mosquitto")
    return client


def first_after(times: list[float], start: float, end: float) -> float | None:
    later = [t for t in times if start <= t < end]
    return min(later) - start if later else None


@dataclass(frozen=True)
class Latency:
    new_ms: list[float]
    snapshot_ms: list[float]
    cycles: int

    @staticmethod
    def percentile(values: list[float], share: float) -> float | None:
        """Nearest-rank percentile; None without values."""
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else None


def measure_event_latency(vtest: Path, cycles: int = 6) -> Latency:
    frames = vtest_yuv(vtest)
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        port = free_port()
        (work / "mosquitto.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        broker = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(work / "mosquitto.conf")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fifo = work / "camera.yuv"
        os.mkfifo(fifo)
        stop = threading.Event()
        fed = Feed()
        heard = Heard()
        client = None
        supervisor = None
        try:
            time.sleep(0.5)
            client = listen(port, heard)
            config = validate_raw({
                "api": {"enabled": False}, "auth": {"enabled": False},
                "mqtt": {"enabled": True, "host": "127.0.0.1", "port": port},
                "snapshots": {"enabled": True},
                "cameras": {"plaza": {
                    "ffmpeg": {"inputs": [{"path": str(fifo), "roles": ["detect"], "input_args":
                                           f"-f rawvideo -pix_fmt yuv420p -video_size {WIDTH}x{HEIGHT} -framerate {FEED_FPS}"}]},
                    "detect": {"width": WIDTH, "height": HEIGHT, "fps": 5}}}})
            from roost.app import Supervisor  # not at the top: see bench/pipeline.py's docstring

            supervisor = Supervisor(config, work / "media", model_cache_dir())
            feeder = threading.Thread(target=feed, args=(fifo, frames, cycles, fed, stop), daemon=True)
            feeder.start()
            supervisor.start()
            feeder.join(timeout=WARMUP_S + cycles * (PEOPLE_S + EMPTY_S) + 60)
            if fed.error:
                raise RuntimeError(fed.error)
        finally:
            stop.set()
            if supervisor is not None:
                supervisor.stop()
            if client is not None:
                client.loop_stop()
                client.disconnect()
            broker.terminate()
            broker.wait(10)
    bounds = [*fed.appeared, float("inf")]
    new_ms, snapshot_ms = [], []
    for start, end in zip(bounds, bounds[1:]):
        new = first_after(heard.new, start, end)
        snap = first_after(heard.snapshot, start, end)
        if new is not None:
            new_ms.append(new * 1000)
        if snap is not None:
            snapshot_ms.append(snap * 1000)
    return Latency(new_ms, snapshot_ms, len(fed.appeared))


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value)


def summary(latency: Latency) -> dict[str, float | int | None]:
    return {"event_latency_ms_p50": _ms(statistics.median(latency.new_ms)) if latency.new_ms else None,
            "event_latency_ms_p95": _ms(latency.percentile(latency.new_ms, 0.95)),
            "snapshot_latency_ms_p50": _ms(statistics.median(latency.snapshot_ms)) if latency.snapshot_ms else None,
            "snapshot_latency_ms_p95": _ms(latency.percentile(latency.snapshot_ms, 0.95)),
            "latency_cycles_with_event": len(latency.new_ms), "latency_cycles": latency.cycles}
