"""Benchmark: latency of `/api/events?limit=100` and `/api/stats` under a bounded loopback load.

Run: `.venv/bin/python bench/api.py [--rate 200] [--seconds 20] [--events 100000]`.

Setup: a SQLite database (WAL) with `--events` events (each with a real ~2 KB base64
thumbnail, as Frigate stores them, so `/api/events` returns them as the HA integration's
default request does), the API served by `serve_api` (uvicorn in a thread of this process,
as in `roost serve`), and "a camera running": an ffmpeg child decoding a 1280x720 10 fps
H.264 stream to raw frames for the whole run, competing for the CPU.

Load: a separate process sends `--rate` requests per second in total (open loop: requests
start on schedule whether or not earlier ones finished), alternating the two paths, for
`--seconds` after a short warm-up. Latency is measured per request from send to the last
byte. Prints progress as it goes; the last line is one JSON object with `p50_ms_events`,
`p99_ms_events`, `p50_ms_stats`, `p99_ms_stats`, `errors` (non-200 answers and failed
requests). Goal: p99 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PATHS = ("/api/events?limit=100", "/api/stats")
WARMUP_S = 2.0
CONNECTIONS = 32
INSERT_BATCH = 5_000


def seed_events(database: Any, count: int, thumbnail: str) -> None:
    from roost.store.models import EventRow

    cameras, labels, zones = ("front", "back", "side"), ("person", "car", "dog", "cat"), ("yard", "porch", "drive")
    start = time.time() - count * 30.0
    rng = random.Random(7)
    for offset in range(0, count, INSERT_BATCH):
        rows = []
        for number in range(offset, min(count, offset + INSERT_BATCH)):
            begin = start + number * 30.0
            box = [rng.randint(0, 500), rng.randint(0, 300)]
            box += [box[0] + 80, box[1] + 160]
            rows.append({
                "id": f"{begin:.6f}-{number:06d}", "label": rng.choice(labels), "camera": rng.choice(cameras),
                "start_time": begin, "end_time": begin + 12.0, "top_score": 0.8, "score": 0.75,
                "false_positive": False, "zones": [rng.choice(zones)], "thumbnail": thumbnail, "has_clip": True,
                "has_snapshot": True, "retain_indefinitely": False, "box": box, "region": [0, 0, 320, 320],
                "area": 12800, "ratio": 0.5, "sub_label": None, "sub_label_score": None,
                "data": {"type": "object", "top_score": 0.8, "score": 0.75, "box": box,
                         "region": [0, 0, 320, 320], "attributes": []}})
        database.write(lambda session, batch=rows: session.execute(EventRow.__table__.insert(), batch))
        print(f"seeded {min(count, offset + INSERT_BATCH)} / {count} events", flush=True)


def make_context(media: Path, events: int) -> Any:
    import cv2
    import numpy as np

    from roost.api import ApiContext
    from roost.config import validate_raw
    from roost.controls import CameraControls
    from roost.events.snapshots import thumbnail_base64, thumbnail_jpeg
    from roost.hub import Hub
    from roost.stats import CameraStats, DetectorStats, build_stats
    from roost.store import Database, database_url

    raw = {"cameras": {name: {"ffmpeg": {"inputs": [{"path": f"rtsp://10.0.0.{i}/s", "roles": ["detect"]}]},
                              "detect": {"width": 1280, "height": 720}}
                       for i, name in enumerate(("front", "back", "side"))}}
    loaded = validate_raw(raw)
    database = Database(database_url(None, None, media))
    database.migrate()
    image = np.zeros((720, 1280, 3), np.uint8)
    cv2.randu(image, 0, 255)
    cv2.GaussianBlur(image, (7, 7), 0, dst=image)  # some detail: a ~2 KB base64 thumbnail
    thumbnail = thumbnail_base64(thumbnail_jpeg(image, (400, 200, 560, 520)))
    print(f"thumbnail: {len(thumbnail)} base64 characters", flush=True)
    seed_events(database, events, thumbnail)
    started = time.time()

    def stats() -> dict[str, Any]:
        cameras = {name: CameraStats(10.0, 10.0, 0.0, 2.0, None, None, None, True) for name in raw["cameras"]}
        return build_stats(cameras, {"cpu": DetectorStats(15.0, 0.0, None)}, started, [media])

    hub = Hub()
    controls = {n: CameraControls.from_config(n, c) for n, c in loaded.config.cameras.items()}
    return ApiContext(loaded=loaded, database=database, hub=hub, controls=controls, media_dir=media, stats=stats)


def start_camera_load() -> subprocess.Popen[bytes]:
    """An ffmpeg child decoding a live-paced 720p H.264 stream to raw frames (a camera's capture)."""
    from roost.ffmpeg import ffmpeg_binary

    return subprocess.Popen(
        f"{ffmpeg_binary()} -hide_banner -loglevel error -re -f lavfi -i testsrc=size=1280x720:rate=10 "
        "-c:v libx264 -preset ultrafast -f h264 - | "
        f"{ffmpeg_binary()} -hide_banner -loglevel error -f h264 -i - -f rawvideo -pix_fmt yuv420p -y /dev/null",
        shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


class Connection:
    """One keep-alive HTTP/1.1 connection with the least client-side work per request
    (a general-purpose client costs more CPU than the server at this rate)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await self.reader.readexactly(length)
        return status


def generate_load(host: str, port: int, rate: float, seconds: float, results: Any) -> None:
    """Runs in its own process: open-loop requests at `rate`/s over a pool of keep-alive
    connections; latency counts from the scheduled start, waiting for a free connection
    included. Puts [(path, ms, status)] (status 0: the request failed)."""

    async def run() -> list[tuple[str, float, int]]:
        samples: list[tuple[str, float, int]] = []
        pool: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(CONNECTIONS):
            pool.put_nowait(Connection(*await asyncio.open_connection(host, port), f"{host}:{port}"))

        async def one(path: str, record: bool) -> None:
            began = time.perf_counter()
            connection = await pool.get()
            try:
                status = await connection.get(path)
                pool.put_nowait(connection)
            except (OSError, ValueError, StopIteration, asyncio.IncompleteReadError):
                status = 0
                connection.writer.close()
                pool.put_nowait(Connection(*await asyncio.open_connection(host, port), f"{host}:{port}"))
            if record:
                samples.append((path, (time.perf_counter() - began) * 1000, status))

        tasks = []
        total = int((WARMUP_S + seconds) * rate)
        t0 = time.perf_counter()
        next_report = WARMUP_S + 5
        for index in range(total):
            due = t0 + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            elapsed = due - t0
            tasks.append(asyncio.create_task(one(PATHS[index % 2], elapsed >= WARMUP_S)))
            if elapsed >= next_report:
                recent = [ms for _, ms, _ in samples[-int(rate * 5):]]
                if recent:
                    print(f"  {elapsed - WARMUP_S:4.0f} s: {len(samples)} requests, last 5 s p50 "
                          f"{statistics.median(recent):.1f} ms, p99 {percentile(recent, 99):.1f} ms", flush=True)
                next_report += 5
        await asyncio.gather(*tasks)
        return samples

    results.put(asyncio.run(run()))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second, both paths together")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()

    from roost.api import serve_api
    from roost.api.server import ApiServers

    with tempfile.TemporaryDirectory(prefix="roost-bench-api-") as work:
        context = make_context(Path(work), args.events)
        port = 5000 + random.randint(20000, 30000)
        config = context.loaded.config
        context.loaded.config = config.model_copy(update={
            "api": config.api.model_copy(update={"host": "127.0.0.1", "port": port}),
            "auth": config.auth.model_copy(update={"enabled": False})})
        stop = threading.Event()
        servers: ApiServers = serve_api(context, stop)
        if not servers.wait_started():
            raise SystemExit("the API did not start")
        camera = start_camera_load()
        print(f"serving on :{port}; camera load running; {args.rate:.0f} req/s for {args.seconds:.0f} s "
              f"(+{WARMUP_S:.0f} s warm-up)", flush=True)
        results: mp.Queue[list[tuple[str, float, int]]] = mp.get_context("spawn").Queue()
        loader = mp.get_context("spawn").Process(target=generate_load,
                                                 args=("127.0.0.1", port, args.rate, args.seconds, results))
        loader.start()
        samples = results.get(timeout=args.seconds + WARMUP_S + 120)
        loader.join()
        os.killpg(camera.pid, signal.SIGTERM)  # the shell and both ffmpeg children it started
        camera.wait(timeout=10)
        stop.set()
        servers.stop()
        context.database.close()

    summary: dict[str, Any] = {}
    for path, key in zip(PATHS, ("events", "stats")):
        latencies = [ms for p, ms, status in samples if p == path and status == 200]
        summary[f"p50_ms_{key}"] = round(percentile(latencies, 50), 2)
        summary[f"p99_ms_{key}"] = round(percentile(latencies, 99), 2)
        print(f"{path}: {len(latencies)} ok, p50 {summary[f'p50_ms_{key}']} ms, "
              f"p99 {summary[f'p99_ms_{key}']} ms, max {max(latencies, default=0):.1f} ms", flush=True)
    summary["errors"] = sum(1 for _, _, status in samples if status != 200)
    summary["requests"] = len(samples)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
