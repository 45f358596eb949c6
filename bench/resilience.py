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
- p99_ms_200_clients: from bench/api_load.py: 200 concurrent clients alternating GET /api/events and
  /api/stats on a `roost serve` with its pipeline running, for --load-seconds; 99th percentile (ms).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def api_p99(seconds: float) -> float:
    """p99 of 200 concurrent clients from bench/api_load.py: `roost serve` in its own process
    with its pipeline running, as a user runs it (a load client in this process would share
    the in-process supervisor's interpreter and measure itself)."""
    bench = Path(__file__).resolve().parent / "api_load.py"
    done = subprocess.run([sys.executable, str(bench), "--clients", str(CLIENTS), "--seconds", str(seconds)],
                          capture_output=True, text=True, timeout=600)
    for line in done.stdout.splitlines():
        print("  api_load:", line, flush=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return float(figures["p99_ms_200_clients"])


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
    print(f"load: {CLIENTS} clients on /api/events and /api/stats for {args.load_seconds:.0f} s", flush=True)
    load_p99 = api_p99(args.load_seconds)
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
