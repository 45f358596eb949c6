"""Process deaths survived, seconds to resume, events lost, and the API's p99 under 200
concurrent clients, on a real pipeline (a generated file camera that records).

    .venv/bin/python bench/resilience.py [--kills-per-kind 2] [--load-seconds 15]

Figures, printed as they are measured; the last line is one JSON object:
- kills / kills_survived per kind: capture, camera, detector and recorder processes killed
  with SIGKILL at random moments (frames, results and detections, and for the recorder a
  new segment, back within 10 s counts as survived); main: a `roost serve` killed with
  SIGKILL, survived when every child it had is gone within 10 s;
- resume_s_max: the slowest resume of any kill;
- events_lost: events published without a stored row, stored without being published,
  with other than one `new` and one `end`, or never ended;
- p99_ms_200_clients: 200 concurrent httpx clients alternating GET /api/events and
  /api/stats on the running Roost for --load-seconds, 99th percentile latency (ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "resilience"))

from resilience_harness import (  # noqa: E402
    KINDS, RESUME_LIMIT_S, EventLedger, event_rows, kill_and_measure, kill_plan, raw_config, roost_children,
    write_busy_scene,
)
from roost.app import Supervisor  # noqa: E402
from roost.config import validate_raw  # noqa: E402
from roost.paths import model_cache_dir  # noqa: E402

CLIENTS = 200


async def _load(base: str, seconds: float, clients: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=limits) as client:
        async def one(index: int) -> None:
            nonlocal errors
            paths = ["/api/events?limit=100", "/api/stats"]
            turn = index
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    response = await client.get(paths[turn % 2])
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)
                turn += 1
        await asyncio.gather(*(one(i) for i in range(clients)))
    return latencies, errors


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values, default=0.0)


def kill_main(scene: Path, workdir: Path) -> bool:
    """A `roost serve` killed with SIGKILL: True when all its children are gone within 10 s."""
    config = workdir / "main.yml"
    config.write_text(yaml.safe_dump(raw_config(scene, None)))
    env = {**os.environ, "ROOST_MODEL_CACHE": str(model_cache_dir())}
    process = subprocess.Popen([sys.executable, "-m", "roost.cli", "serve", "-c", str(config), "--media-dir",
                                str(workdir / "main-media")], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(roost_children(process.pid)) < 5:
            time.sleep(0.5)
        time.sleep(random.uniform(0.5, 3.0))
        children = roost_children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        _, alive = psutil.wait_procs(children, timeout=10)
        left = [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
        print(f"kill -9 main (pid {process.pid}, {len(children)} children): "
              f"{'all children gone' if not left else f'{len(left)} children left'}", flush=True)
        return bool(children) and not left
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills-per-kind", type=int, default=2)
    parser.add_argument("--load-seconds", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="roost-bench-resilience-") as tmp:
        workdir = Path(tmp)
        scene = write_busy_scene(workdir / "yard.mp4")
        raw = raw_config(scene, None, api=True)
        supervisor = Supervisor(validate_raw(raw), workdir / "media", model_cache_dir())
        ledger = EventLedger()
        ledger.attach(supervisor)
        supervisor.start()
        kills = {kind: 0 for kind in (*KINDS, "main")}
        survived = dict(kills)
        resumes: list[float] = []
        try:
            while supervisor.handler is not None and not supervisor.handler.processor.active:
                supervisor.pipeline.restart_crashed()  # type: ignore[union-attr]
                time.sleep(0.5)
            for kind in kill_plan(args.kills_per_kind, args.seed):
                time.sleep(rng.uniform(0.5, 3.0))
                took = kill_and_measure(supervisor, kind, log=lambda line: print(line, flush=True))
                kills[kind] += 1
                if took is not None:
                    resumes.append(took)
                    survived[kind] += took <= RESUME_LIMIT_S
            base = f"http://127.0.0.1:{raw['api']['port']}"
            print(f"load: {CLIENTS} clients on /api/events and /api/stats for {args.load_seconds:.0f} s", flush=True)
            latencies, errors = asyncio.run(_load(base, args.load_seconds, CLIENTS))
            load_p99 = p99(latencies)
            print(f"  {len(latencies)} requests, {errors} errors, median {statistics.median(latencies):.0f} ms, "
                  f"p99 {load_p99:.0f} ms; camera {supervisor.stats()['cameras']['yard']['process_fps']} fps",
                  flush=True)
        finally:
            supervisor.stop()
        rows = event_rows_after_stop(supervisor)
        problems = ledger.problems(rows)
        for problem in problems:
            print("event problem:", problem)
        print(f"events: {len(rows)} stored, {len(problems)} problem(s)", flush=True)
        for _ in range(args.kills_per_kind):
            kills["main"] += 1
            survived["main"] += kill_main(scene, workdir)
    print(json.dumps({"kills": kills, "kills_survived": survived,
                      "resume_s_max": round(max(resumes, default=0.0), 2), "events_lost": len(problems),
                      "p99_ms_200_clients": round(load_p99, 1)}))


def event_rows_after_stop(supervisor: Supervisor) -> dict[str, object]:
    """The event rows, read through a new connection (the supervisor's database is closed)."""
    from roost.store import Database
    assert supervisor.database is not None
    database = Database(supervisor.database.url)
    try:
        supervisor.database = database
        return dict(event_rows(supervisor))
    finally:
        database.close()


if __name__ == "__main__":
    main()
