"""Benchmark: the restream's CPU cost, MJPEG against the browser player, glass-to-glass latency.

Run: `.venv/bin/python bench/restream.py [--seconds 15]`.

1. A 1080p H.264 camera (Debian's vtest.avi scaled to 1920x1080, 10 fps, served as a
   simulated RTSP camera on 127.0.0.1). CPU % of the restream server restreaming it to 3
   viewers (ffmpeg `-c copy` clients), against one bare `ffmpeg -c copy` of the same
   camera, measured one after the other in this run: `cpu_ratio_vs_ffmpeg_copy`.
2. Roost (`Supervisor`, detect 640x360 at 5 fps) on that camera. Server CPU (Roost's main
   process and every child it started: capture, camera, detector, restream, per-viewer
   ffmpeg) with no viewer, with 3 MJPEG viewers (`/api/<camera>?fps=5`) and with 3 player
   viewers (the player's websocket, fMP4 stream copy); the viewers run in another process,
   not counted. Per viewer: (with − without) / 3.
3. Glass-to-glass: a live camera whose frames carry the wall clock as a barcode
   (bench/restream_clock.py, encoded live with x264 zerolatency) → simulated RTSP camera →
   Roost's restream → the player in headless Chromium. Each sample reads the barcode from a
   screenshot of the <video> element and subtracts it from the screenshot's time (the middle
   of the screenshot call); the median of the samples is reported.

Prints figures as it goes; the last line is one JSON object with `cpu_ratio_vs_ffmpeg_copy`,
`viewers`, `server_cpu_per_viewer_mjpeg`, `server_cpu_per_viewer_player`, `glass_to_glass_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
VIEWERS = 3
WARMUP_S = 4.0


def log(text: str) -> None:
    print(text, flush=True)


def camera_1080p(cache: Path) -> Path:
    target = cache / "vtest-1080p-10fps.mp4"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        log(f"making the 1080p camera clip {target} (once)")
        partial = target.with_suffix(".partial.mp4")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(VTEST), "-t", "40",
                        "-vf", "scale=1920:1080", "-an", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0",
                        "-g", "10", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "4M", "-pix_fmt", "yuv420p",
                        str(partial)], check=True)
        partial.rename(target)
    return target


def tree(process: psutil.Process, exclude: set[int]) -> list[psutil.Process]:
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    return [p for p in members if p.pid not in exclude]


def cpu_percent(roots: list[psutil.Process], exclude: set[int], seconds: float) -> float:
    """CPU % (100 = one core) of `roots` and their descendants over `seconds`; processes
    that start or end meanwhile count for the part they ran."""
    seen: dict[int, tuple[psutil.Process, float]] = {}

    def sample() -> None:
        for root in roots:
            for p in tree(root, exclude):
                try:
                    times = p.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                start = seen.get(p.pid, (p, times.user + times.system))[1]
                seen[p.pid] = (p, start)
                last[p.pid] = times.user + times.system

    last: dict[int, float] = {}
    sample()
    first = dict(last)
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        time.sleep(0.5)
        sample()
    wall = time.monotonic() - began
    used = sum(last[pid] - first.get(pid, 0.0) for pid in last)
    return 100.0 * used / wall


def copy_viewer(url: str, seconds: float) -> subprocess.Popen[bytes]:
    """`ffmpeg -c copy` of `url` muxed to MPEG-TS (thrown away): a stream copy that does the work one does."""
    return subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url,
                             "-t", str(seconds), "-c", "copy", "-f", "mpegts", "-y", "/dev/null"], stdin=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def part_restream_cpu(clip: Path, seconds: float) -> tuple[float, float]:
    from roost.restream.child import ServerChild
    from roost.restream.simulated import SimulatedCamera, SimulatedCameras, free_port

    with SimulatedCameras([SimulatedCamera("cam", clip=clip)]) as camera:
        exclude = {p.pid for p in tree(psutil.Process(camera.child.pid or 0), set())} if camera.child.pid else set()
        bare = copy_viewer(camera.url("cam"), seconds + WARMUP_S + 5)
        time.sleep(WARMUP_S)
        copy_cpu = cpu_percent([psutil.Process(bare.pid)], set(), seconds)
        bare.kill()
        bare.wait()
        log(f"bare ffmpeg -c copy of the 1080p camera: {copy_cpu:.1f} % CPU")
        child = ServerChild({"host": "127.0.0.1", "port": free_port(),
                             "streams": [{"name": "cam", "kind": "rtsp", "url": camera.url("cam")}]})
        assert child.start(), "restream server did not start"
        try:
            viewers = [copy_viewer(f"rtsp://127.0.0.1:{child.port}/cam", seconds + WARMUP_S + 5) for _ in range(VIEWERS)]
            time.sleep(WARMUP_S)
            assert child.pid is not None
            restream_cpu = cpu_percent([psutil.Process(child.pid)], exclude, seconds)
            clients = child.status.get("cam", {}).get("clients")
            log(f"restream server, 1080p camera, {VIEWERS} viewers ({clients} RTSP clients): {restream_cpu:.1f} % CPU; "
                f"the camera saw {camera.clients('cam')} client(s)")
            for viewer in viewers:
                viewer.kill()
                viewer.wait()
        finally:
            child.stop()
    return copy_cpu, restream_cpu


def start_roost(camera_url: str, media: Path, width: int = 640, height: int = 360) -> Any:
    from roost.app import Supervisor
    from roost.config import validate_raw
    from roost.paths import model_cache_dir
    from roost.restream.simulated import free_port

    loaded = validate_raw({
        "mqtt": {"enabled": False}, "auth": {"enabled": False},
        "api": {"host": "127.0.0.1", "port": free_port()},
        "go2rtc": {"rtsp": {"listen": f"127.0.0.1:{free_port()}"}},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "logger": {"default": "warning"},
        "cameras": {"front": {"ffmpeg": {"inputs": [{"path": camera_url, "roles": ["detect"]}]},
                              "detect": {"width": width, "height": height, "fps": 5}}},
    })
    supervisor = Supervisor(loaded, media, model_cache_dir())
    supervisor.start()
    deadline = time.monotonic() + 60
    while supervisor.pipeline.camera_stats()["front"].camera_fps <= 0:
        if time.monotonic() > deadline:
            raise RuntimeError("Roost got no frames from the camera")
        time.sleep(0.5)
    return supervisor


async def _viewers(kind: str, base: str, count: int, seconds: float) -> list[int]:
    import httpx
    import websockets

    received = [0] * count

    async def mjpeg(index: int) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            async with client.stream("GET", f"{base}/api/front?fps=5") as answer:
                async for chunk in answer.aiter_bytes():
                    received[index] += len(chunk)

    async def player(index: int) -> None:
        async with websockets.connect(f"{base.replace('http', 'ws', 1)}/live/mse/api/ws?src=front",
                                      max_size=None) as socket:
            async for message in socket:
                received[index] += len(message)

    run = mjpeg if kind == "mjpeg" else player
    tasks = [asyncio.ensure_future(run(i)) for i in range(count)]
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return received


def viewer_process(kind: str, base: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, "--viewers", kind, base, str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def part_viewers(clip: Path, seconds: float, media: Path) -> tuple[float, float]:
    from roost.restream.simulated import SimulatedCamera, SimulatedCameras

    with SimulatedCameras([SimulatedCamera("cam", clip=clip)]) as camera:
        supervisor = start_roost(camera.url("cam"), media)
        base = f"http://127.0.0.1:{supervisor.config.api.port}"
        main = psutil.Process(os.getpid())
        # Detection's processes (capture, camera, detectors: multiprocessing children) work the
        # same with or without viewers; leaving them out keeps their noise out of the figures.
        camera_pids = {p.pid for p in tree(psutil.Process(camera.child.pid or 0), set())}
        for child in main.children():
            if "multiprocessing" in " ".join(child.cmdline()):
                camera_pids |= {p.pid for p in tree(child, set())}
        try:
            time.sleep(WARMUP_S)
            idle = cpu_percent([main], camera_pids, seconds)
            log(f"Roost's serving processes (main, restream) with the 1080p camera, no viewer: {idle:.1f} % CPU")
            result = {}
            for kind in ("mjpeg", "player"):
                viewers = viewer_process(kind, base, seconds + WARMUP_S + 2)
                time.sleep(WARMUP_S)
                busy = cpu_percent([main], camera_pids | {viewers.pid}, seconds)
                out, _ = viewers.communicate(timeout=60)
                got = json.loads(out.strip().splitlines()[-1])
                per_viewer = (busy - idle) / VIEWERS
                result[kind] = per_viewer
                pixels = 640 * 360 * 5 if kind == "mjpeg" else 1920 * 1080 * 10  # what each viewer gets per second
                log(f"Roost with {VIEWERS} {kind} viewers: {busy:.1f} % CPU → {per_viewer:.1f} % per viewer "
                    f"(each received {min(got) / 2**20:.1f}–{max(got) / 2**20:.1f} MiB; "
                    f"{per_viewer / (pixels / 1e6):.3f} % per delivered megapixel/s)")
                assert min(got) > 0, f"a {kind} viewer received nothing"
        finally:
            supervisor.stop()
    return result["mjpeg"], result["player"]


PAGE = """<!doctype html><html><body style="margin:0;background:#000">
<video id="live" width="960" height="540"></video>
<script type="module">
  import { startLivePlayer } from './live-player.js';
  const video = document.getElementById('live');
  window.stopPlayer = startLivePlayer(video, 'front',
    {base: new URLSearchParams(location.search).get('roost'), onFallback: (r) => { window.fallbackReason = r; }});
  // Each presented frame: copy it from the <video> (a screenshot of the element), read the
  // clock barcode, and note how long ago, by the shared system clock, it was made.
  window.latencies = [];
  const canvas = document.createElement('canvas');
  canvas.width = BAR_WIDTH; canvas.height = 1;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const onFrame = (now, meta) => {
    if (video.currentTime > 2) {
      g.drawImage(video, 0, BAR_ROW, video.videoWidth, 1, 0, 0, BAR_WIDTH, 1);
      const row = g.getImageData(0, 0, BAR_WIDTH, 1).data;
      let stamp = 0;
      for (let bit = 0; bit < BITS; bit++) {
        const i = Math.floor((bit + 0.5) * BAR_WIDTH / BITS) * 4;
        stamp = stamp * 2 + ((row[i] + row[i + 1] + row[i + 2]) / 3 > 128 ? 1 : 0);
      }
      window.latencies.push(performance.timeOrigin + meta.presentationTime - stamp);
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
</script></body></html>"""


def part_latency(media: Path, samples: int) -> float:
    import numpy as np
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from restream_clock import BAR_H, BITS, FPS, HEIGHT, WIDTH, read_stamp
    from roost.restream.child import MPEGTS_PIPE_ARGS, ServerChild
    from roost.restream.simulated import free_port

    encode = (f"{sys.executable} {Path(__file__).with_name('restream_clock.py')} | ffmpeg -hide_banner -loglevel error "
              f"-f rawvideo -pix_fmt bgr24 -s {WIDTH}x{HEIGHT} -r {FPS} -i pipe: -c:v libx264 -preset ultrafast "
              f"-tune zerolatency -g {FPS} -bf 0 -pix_fmt yuv420p {' '.join(MPEGTS_PIPE_ARGS)}")
    clock = ServerChild({"host": "127.0.0.1", "port": free_port(),
                         "streams": [{"name": "clock", "kind": "ffmpeg", "argv": ["/bin/sh", "-c", encode]}]}, "clock")
    assert clock.start(), "clock camera did not start"
    site = media / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_text(PAGE.replace("BAR_WIDTH", str(WIDTH)).replace("BAR_ROW", str(BAR_H // 2))
                                     .replace("BITS", str(BITS)))
    (site / "live-player.js").write_bytes((Path(__file__).resolve().parents[1] / "roost/web/player/live-player.js")
                                          .read_bytes())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    supervisor = start_roost(f"rtsp://127.0.0.1:{clock.port}/clock", media / "latency", 480, 270)
    latencies: list[float] = []
    frames: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"])
            page = browser.new_page(viewport={"width": 1000, "height": 600})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html"
                      f"?roost=http://127.0.0.1:{supervisor.config.api.port}/")
            page.wait_for_function("document.getElementById('live').currentTime > 2", timeout=60_000)
            video = page.locator("#live")
            for index in range(samples):
                time.sleep(0.7)
                before = time.time()
                png = video.screenshot()
                after = time.time()
                stamp = read_stamp(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")))
                latency = (before + after) / 2 * 1000 - stamp
                if not 0 < latency < 10_000:
                    log(f"  sample {index}: unreadable barcode ({latency:.0f} ms), skipped")
                    continue
                latencies.append(latency)
                log(f"  sample {index}: {latency:.0f} ms (screenshot took {1000 * (after - before):.0f} ms)")
            frames = [v for v in page.evaluate("window.latencies") if 0 < v < 10_000]
            log(f"  per presented frame (canvas copy of the <video>, {len(frames)} frames): median "
                f"{statistics.median(frames):.0f} ms, p90 {sorted(frames)[int(len(frames) * 0.9)]:.0f} ms")
            if page.evaluate("window.fallbackReason"):
                raise RuntimeError(f"the player fell back: {page.evaluate('window.fallbackReason')}")
            browser.close()
    finally:
        supervisor.stop()
        clock.stop()
        server.shutdown()
    log(f"screenshots (Playwright, {len(latencies)} samples, ± half the screenshot's own time): median "
        f"{statistics.median(latencies):.0f} ms, min {min(latencies):.0f}, max {max(latencies):.0f}")
    median = statistics.median(frames)
    log(f"glass-to-glass (clock camera → restream → player): {median:.0f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each CPU measurement")
    parser.add_argument("--samples", type=int, default=10, help="latency screenshots")
    parser.add_argument("--viewers", nargs=3, metavar=("KIND", "BASE", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.viewers:  # the viewer process of part 2
        kind, base, seconds = args.viewers
        print(json.dumps(asyncio.run(_viewers(kind, base, VIEWERS, float(seconds)))))
        return
    os.environ.setdefault("ROOST_MODEL_CACHE", str(Path(__file__).resolve().parents[1] / "model_cache"))
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "roost" / "bench"
    clip = camera_1080p(cache)
    copy_cpu, restream_cpu = part_restream_cpu(clip, args.seconds)
    ratio = restream_cpu / copy_cpu if copy_cpu > 0 else float("nan")
    log(f"restream (3 viewers) / bare ffmpeg copy: {ratio:.2f}")
    with tempfile.TemporaryDirectory(prefix="roost-bench-restream-") as tmp:
        mjpeg, player = part_viewers(clip, args.seconds, Path(tmp) / "media")
        latency = part_latency(Path(tmp), args.samples)
    print(json.dumps({"cpu_ratio_vs_ffmpeg_copy": round(ratio, 2), "viewers": VIEWERS,
                      "server_cpu_per_viewer_mjpeg": round(mjpeg, 2),
                      "server_cpu_per_viewer_player": round(player, 2), "glass_to_glass_ms": round(latency)}))


if __name__ == "__main__":
    main()
