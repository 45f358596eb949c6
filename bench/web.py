"""Benchmark: the web UI as a person meets it, on loopback.

Run: `.venv/bin/python bench/web.py [--events 100000] [--runs 5] [--window 20]`.

Setup: `roost serve` (a subprocess, as a user runs it) with 4 cameras looping Debian's
`vtest.avi` (768x576, transcoded to H.264 once, played at its own 10 fps, detect at 5 fps)
and a SQLite database seeded beforehand with `--events` events (bench/api.py's seeding, with
a real thumbnail cut from vtest), driven by headless Debian Chromium through Playwright.

Figures (each paint is a cold tab: new browser context, empty cache):
- `dashboard_paint_ms`: navigation start → every camera tile shows a picture (median);
- `explore_100k_paint_ms`: navigation start → the Explore grid shows its first event
  thumbnail, with `--events` events in the database (median);
- `asset_kb_gzip`: JS + CSS bytes on the wire for the dashboard (gzip), from Chromium's
  own transfer sizes;
- `server_cpu_ratio_dashboard_open`: CPU seconds of the server (main process and all its
  children: capture, ffmpeg, camera, detector) per wall second while one dashboard is
  open, over the same with no browser; windows alternate (none, open, none, open) so the
  machine's other load hits both alike.
The last line is one JSON object with those four keys.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

from api import seed_events  # noqa: E402  (bench/api.py: same rows as the API benchmark)

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
CAMERAS = ("front", "back", "side", "drive")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: A loaded machine starts 4 cameras and a detector slowly.
STARTUP_TIMEOUT_S = 300.0
VIEWPORT = {"width": 1366, "height": 850}
ALL_TILES_SHOWN = """() => { const imgs = [...document.querySelectorAll('.cam-tile .live-view img')];
  return imgs.length === %d && imgs.every((i) => i.complete && i.naturalWidth > 0); }"""
FIRST_THUMB_SHOWN = """() => [...document.querySelectorAll('.ex-card img')].some((i) => i.complete && i.naturalWidth > 0)"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def transcode_vtest(target: Path) -> Path:
    from roost.ffmpeg import ffmpeg_binary

    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-i", str(VTEST), "-c:v", "libx264", "-preset", "veryfast",
                    "-g", "10", "-pix_fmt", "yuv420p", str(target)], check=True)
    return target


def vtest_thumbnail(video: Path) -> str:
    import cv2

    from roost.events.snapshots import thumbnail_base64, thumbnail_jpeg

    capture = cv2.VideoCapture(str(video))
    for _ in range(60):
        ok, frame = capture.read()
    capture.release()
    assert ok, f"cannot read {video}"
    return thumbnail_base64(thumbnail_jpeg(frame, (300, 150, 460, 470)))


def start_server(work: Path, video: Path, events: int) -> tuple[subprocess.Popen[bytes], str]:
    """Seed the database and start `roost serve` (not yet ready: see `wait_ready`)."""
    from sqlalchemy import update

    from roost.store import Database, database_url
    from roost.store.models import EventRow

    media = work / "media"
    media.mkdir()
    database = Database(database_url(None, None, media))
    database.migrate()
    started = time.monotonic()
    seed_events(database, events, vtest_thumbnail(video))
    # The rows say has_clip/has_snapshot, but no files exist: make them agree, else every
    # start "corrects" 100 000 rows one UPDATE at a time before serving anything.
    database.write(lambda session: session.execute(update(EventRow).values(has_clip=False, has_snapshot=False)))
    database.close()
    print(f"seeded {events} events in {time.monotonic() - started:.1f} s", flush=True)
    port = free_port()
    config = {
        "mqtt": {"enabled": False}, "auth": {"enabled": False}, "api": {"host": "127.0.0.1", "port": port},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}}, "objects": {"track": ["person", "car"]},
        "snapshots": {"enabled": True},
        "cameras": {name: {"ffmpeg": {"inputs": [{"path": str(video), "roles": ["detect"],
                                                  "input_args": "-stream_loop -1 -re"}]},
                           "detect": {"width": 768, "height": 576, "fps": 5}} for name in CAMERAS},
    }
    (work / "config.yml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(REPO),
           "ROOST_MODEL_CACHE": os.environ.get("ROOST_MODEL_CACHE", str(REPO / "model_cache"))}
    env.pop("CONFIG_FILE", None)
    log = (work / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "roost.cli", "serve", "-c", str(work / "config.yml"),
                                "--media-dir", str(media)], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen[bytes], base: str, work: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"roost serve exited:\n{(work / 'serve.log').read_text()[-3000:]}")
        try:
            stats = httpx.get(f"{base}/api/stats", timeout=2).json()
            if all(stats["cameras"][c]["camera_fps"] > 0 for c in CAMERAS):
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"cameras did not deliver frames within {STARTUP_TIMEOUT_S:.0f} s (machine too busy?)")


def server_cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            times = member.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def cpu_rate(process: psutil.Process, seconds: float) -> float:
    """Server CPU seconds per wall second over the next `seconds`."""
    before, start = server_cpu_seconds(process), time.monotonic()
    time.sleep(seconds)
    return (server_cpu_seconds(process) - before) / (time.monotonic() - start)


def paint_ms(browser: Any, url: str, ready: str, timeout_ms: int = 60_000) -> tuple[float, float]:
    """(ms from navigation start until `ready` holds, first-contentful-paint ms) in a cold tab."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_function(ready, timeout=timeout_ms, polling="raf")
        done = float(page.evaluate("performance.now()"))
        fcp = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0")
        return done, float(fcp)
    finally:
        context.close()


def asset_bytes(browser: Any, base: str) -> tuple[float, list[str]]:
    """JS + CSS bytes transferred (encoded) while the dashboard loads, and the gzip check."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if r.request.resource_type in ("script", "stylesheet") else None)
    page.goto(f"{base}/#/")
    page.wait_for_function(ALL_TILES_SHOWN % len(CAMERAS), timeout=60_000)
    page.wait_for_timeout(2000)  # never "network idle": the pictures refresh every second
    total, notes = 0, []
    for response in responses:
        sizes = response.request.sizes()
        encoding = response.headers.get("content-encoding", "identity")
        total += sizes["responseBodySize"]
        notes.append(f"{response.url.removeprefix(base)} {sizes['responseBodySize']} B {encoding}")
    context.close()
    return total / 1024, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--window", type=float, default=20.0, help="seconds per CPU window")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="roost-bench-web-"))
    process = None
    try:
        video = transcode_vtest(work / "vtest.mp4")
        process, base = start_server(work, video, args.events)
        wait_ready(process, base, work)
        server = psutil.Process(process.pid)
        print(f"roost serve on {base} with {len(CAMERAS)} cameras; warming up 10 s", flush=True)
        time.sleep(10)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            dashboard, explore = [], []
            for run in range(args.runs):
                done, fcp = paint_ms(browser, f"{base}/#/", ALL_TILES_SHOWN % len(CAMERAS))
                dashboard.append(done)
                print(f"dashboard run {run + 1}: all {len(CAMERAS)} pictures at {done:.0f} ms (FCP {fcp:.0f} ms)", flush=True)
            for run in range(args.runs):
                done, fcp = paint_ms(browser, f"{base}/#/explore", FIRST_THUMB_SHOWN)
                explore.append(done)
                print(f"explore run {run + 1} ({args.events} events): first thumbnail at {done:.0f} ms "
                      f"(FCP {fcp:.0f} ms)", flush=True)
            started = time.monotonic()
            page_json = httpx.get(f"{base}/api/events", params={"limit": 50, "include_thumbnails": 0}).json()
            print(f"events API, first page of 50 of {args.events}: {1000 * (time.monotonic() - started):.0f} ms "
                  f"({len(page_json)} events)", flush=True)
            kb, notes = asset_bytes(browser, base)
            for note in notes:
                print(f"  asset {note}", flush=True)
            print(f"dashboard JS+CSS transferred: {kb:.1f} KB", flush=True)

            idle, open_ = [], []
            for round_ in range(2):
                idle.append(cpu_rate(server, args.window))
                print(f"round {round_ + 1}: server CPU, no browser: {100 * idle[-1]:.0f} % of a core", flush=True)
                context = browser.new_context(viewport=VIEWPORT)
                page = context.new_page()
                page.goto(f"{base}/#/")
                page.wait_for_function(ALL_TILES_SHOWN % len(CAMERAS), timeout=60_000)
                open_.append(cpu_rate(server, args.window))
                context.close()
                print(f"round {round_ + 1}: server CPU, dashboard open: {100 * open_[-1]:.0f} % of a core", flush=True)
            browser.close()
        ratio = statistics.mean(open_) / statistics.mean(idle)
        print(f"server CPU ratio dashboard open / no browser: {ratio:.3f}", flush=True)
        print(json.dumps({"dashboard_paint_ms": round(statistics.median(dashboard), 1),
                          "explore_100k_paint_ms": round(statistics.median(explore), 1),
                          "asset_kb_gzip": round(kb, 1),
                          "server_cpu_ratio_dashboard_open": round(ratio, 3)}))
    finally:
        if process is not None and process.poll() is None:
            server_process = psutil.Process(process.pid)
            children = server_process.children(recursive=True)
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                print("roost serve did not stop within 60 s of SIGTERM; killed", flush=True)
                for member in [server_process, *children]:
                    try:
                        member.kill()
                    except psutil.NoSuchProcess:
                        pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
