"""Benchmark: `/api/events` and `/api/stats` latency with 200 concurrent clients while the
pipeline runs.

Run: `.venv/bin/python bench/api_load.py [--clients 200] [--seconds 20] [--events 20000]`.

Setup: `roost serve` (a subprocess, as a user runs it) on one camera looping the demo
footage (`demo/vtest-camera.mp4`, else a generated testsrc clip) at 5 fps with detection
and recording on, and a database seeded with `--events` events carrying real ~2 KB
thumbnails (bench/api.py's rows). Load: `--clients` concurrent closed-loop clients
(asyncio, one keep-alive HTTP/1.1 connection each), each sending its next request as soon
as the last answered, half to `/api/events` (the HA integration's call: `limit=50` with thumbnails)
and half to `/api/stats`, for `--seconds` after a short warm-up. Figures every 5 s; the
last line is one JSON object with `p99_ms_200_clients` (p99 over both routes),
`p50_ms`, `p99_ms_events`, `p99_ms_stats`, `requests_per_s`, `errors` (non-200 answers
and failed requests), `camera_fps` (the camera during the load, lowest reading) and the CPU
of the server's main process and of the client (cores). Goal: p99 ≤ 1000 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from api import seed_events  # noqa: E402  (bench/api.py: the same event rows)

PATHS = ("/api/events?limit=50", "/api/stats")
WARMUP_S = 3.0
STARTUP_TIMEOUT_S = 300.0
REPORT_EVERY_S = 5.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def camera_video(work: Path) -> Path:
    demo = REPO / "demo" / "vtest-camera.mp4"
    if demo.is_file():
        return demo
    from roost.ffmpeg import ffmpeg_binary

    target = work / "testsrc.mp4"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=768x576:rate=10",
                    "-t", "30", "-c:v", "libx264", "-preset", "veryfast", "-g", "10", "-pix_fmt", "yuv420p",
                    str(target)], check=True)
    return target


def thumbnail(video: Path) -> str:
    import cv2

    from roost.events.snapshots import thumbnail_base64, thumbnail_jpeg

    capture = cv2.VideoCapture(str(video))
    ok, frame = capture.read()
    capture.release()
    assert ok, f"cannot read {video}"
    return thumbnail_base64(thumbnail_jpeg(frame, (300, 150, 460, 470)))


def start_server(work: Path, video: Path, events: int) -> tuple[subprocess.Popen[bytes], str]:
    from sqlalchemy import update

    from roost.store import Database, database_url
    from roost.store.models import EventRow

    media = work / "media"
    media.mkdir()
    database = Database(database_url(None, None, media))
    database.migrate()
    seed_events(database, events, thumbnail(video))
    database.write(lambda session: session.execute(update(EventRow).values(has_clip=False, has_snapshot=False)))
    database.close()
    port = free_port()
    config = {
        "mqtt": {"enabled": False}, "auth": {"enabled": False}, "api": {"host": "127.0.0.1", "port": port},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}}, "objects": {"track": ["person", "car"]},
        "snapshots": {"enabled": True}, "go2rtc": {"rtsp": {"listen": ""}},
        "record": {"enabled": True, "retain": {"days": 1}},
        "cameras": {"front": {"ffmpeg": {"inputs": [{"path": str(video), "roles": ["detect", "record"],
                                                     "input_args": "-stream_loop -1 -re"}]},
                              "detect": {"width": 768, "height": 576, "fps": 5}}},
    }
    (work / "config.yml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(REPO),
           "ROOST_MODEL_CACHE": os.environ.get("ROOST_MODEL_CACHE", str(REPO / "model_cache"))}
    env.pop("CONFIG_FILE", None)
    log = (work / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "roost.cli", "serve", "-c", str(work / "config.yml"),
                                "--media-dir", str(media)], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def camera_fps(base: str) -> float:
    try:
        return float(httpx.get(f"{base}/api/stats", timeout=10).json()["cameras"]["front"]["camera_fps"])
    except (httpx.HTTPError, KeyError, ValueError):
        return 0.0


def wait_ready(process: subprocess.Popen[bytes], base: str, work: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"roost serve exited:\n{(work / 'serve.log').read_text()[-3000:]}")
        if camera_fps(base) > 0:
            return
        time.sleep(0.5)
    raise SystemExit(f"the camera delivered no frames within {STARTUP_TIMEOUT_S:.0f} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection doing the least client-side work per request: a
    general-purpose client (httpx's pool) costs more CPU per request than the server at this
    concurrency, and this machine has 2 cores for both."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(base: str, clients: int, seconds: float, server: psutil.Process
               ) -> tuple[list[tuple[str, float, int]], list[float], float, float]:
    """[(path, ms, status)] of requests finished after the warm-up (status 0: failed), the
    camera's fps sampled during the run, and the CPU (cores) of the server's main process
    and of this client over the measured window."""
    samples: list[tuple[str, float, int]] = []
    fps: list[float] = []
    host, port = base.removeprefix("http://").split(":")
    t0 = time.perf_counter()
    stop_at = t0 + WARMUP_S + seconds
    me = psutil.Process()
    cpu: dict[str, float] = {}

    async def client(number: int) -> None:
        connection = Connection(host, int(port))
        index = number
        while time.perf_counter() < stop_at:
            path = PATHS[index % 2]
            index += 1
            began = time.perf_counter()
            try:
                status = await asyncio.wait_for(connection.get(path), 60)
            except (OSError, ValueError, StopIteration, asyncio.IncompleteReadError, asyncio.TimeoutError):
                status = 0
                connection.close()
            if began - t0 >= WARMUP_S:
                samples.append((path, (time.perf_counter() - began) * 1000, status))
        connection.close()

    async def report() -> None:
        await asyncio.sleep(WARMUP_S)
        cpu["server"], cpu["client"], cpu["t"] = sum(server.cpu_times()[:2]), sum(me.cpu_times()[:2]), time.perf_counter()
        shown = 0
        while time.perf_counter() < stop_at:
            await asyncio.sleep(REPORT_EVERY_S)
            recent = [ms for _, ms, _ in samples[shown:]]
            shown = len(samples)
            reading = await asyncio.to_thread(camera_fps, base)
            fps.append(reading)
            if recent:
                print(f"  {time.perf_counter() - t0 - WARMUP_S:5.1f} s: {len(samples)} requests, last "
                      f"{REPORT_EVERY_S:.0f} s p50 {statistics.median(recent):.0f} ms, p99 "
                      f"{percentile(recent, 99):.0f} ms, camera {reading} fps", flush=True)
        elapsed = time.perf_counter() - cpu["t"]
        cpu["server"] = (sum(server.cpu_times()[:2]) - cpu["server"]) / elapsed
        cpu["client"] = (sum(me.cpu_times()[:2]) - cpu["client"]) / elapsed

    await asyncio.gather(report(), *(client(n) for n in range(clients)))
    return samples, fps, cpu["server"], cpu["client"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roost-bench-load-") as folder:
        work = Path(folder)
        process, base = start_server(work, camera_video(work), args.events)
        try:
            wait_ready(process, base, work)
            print(f"roost serve ready at {base}; {args.clients} clients for {args.seconds:.0f} s", flush=True)
            samples, fps, server_cpu, client_cpu = asyncio.run(load(base, args.clients, args.seconds,
                                                                    psutil.Process(process.pid)))
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
    every = [ms for _, ms, _ in samples]
    by_path = {path: [ms for p, ms, _ in samples if p == path] for path in PATHS}
    result: dict[str, Any] = {
        "clients": args.clients, "seconds": args.seconds, "requests": len(samples),
        "requests_per_s": round(len(samples) / args.seconds, 1),
        "p99_ms_200_clients": round(percentile(every, 99), 1), "p50_ms": round(percentile(every, 50), 1),
        "p99_ms_events": round(percentile(by_path[PATHS[0]], 99), 1),
        "p99_ms_stats": round(percentile(by_path[PATHS[1]], 99), 1),
        "errors": sum(1 for _, _, status in samples if status != 200),
        "camera_fps": round(min(fps), 1) if fps else 0.0,
        "server_main_cpu_cores": round(server_cpu, 2), "client_cpu_cores": round(client_cpu, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
