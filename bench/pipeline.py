"""The real pipeline on Debian's vtest.avi (looped at 5 fps): decode rate, motion cost
against a naive baseline, inference per region at 1 and 2 threads, CPU per camera, and how
many such cameras fit on this machine's 2 cores.

    .venv/bin/python bench/pipeline.py [--seconds 40]

Figures, printed as they are measured; the last line is one JSON object:
- decode fps: ffmpeg (one thread) decoding vtest.avi to raw yuv420p as fast as it can;
- motion: `bench/motion.py`'s interleaved measurement (default detector vs full-frame
  absdiff + threshold + contours) on 300 frames;
- inference: the default detector (YOLOv3-tiny 320, int8) on 40 real region crops;
- CPU per camera: the whole running Roost (capture + its ffmpeg, camera process, detector
  process, main process) with one vtest camera at 5 fps, CPU seconds over wall seconds,
  in % of one core; then with two cameras (two detector processes): what each camera adds
  (two minus one) and what is shared (one minus that), so cameras projected on 2 cores =
  (200 - shared) / added;
- that many cameras run at once (two detector processes), to check the projection: the
  slowest camera's processed fps (5 when it keeps up) and the most frames any skipped; while
  they do not all keep up (>= 4.75 fps processed, <= 0.25 skipped), one fewer, at most three
  times; while they do and their CPU leaves room for one more camera, one more, at most three
  times. `cameras_at_5fps_on_2_cores` is the count seen keeping up (`cameras_kept_up`
  false: none tried did, and the figure is one fewer than the fewest tried);
- memory a camera (`memory_mb_per_camera`, in that run): the private memory (USS) of each
  camera's own processes (camera process, capture process, its ffmpeg), mean over cameras;
  the detectors and the main process are shared;
- idle cameras (`bench/pipeline_idle.py`): CPU of Roost with one idle 720p camera, and
  `idle_ratio_vs_decode_floor`, that ÷ the CPU of Roost's own detect ffmpeg command alone
  on the same stream (the larger of the two scenes is the key's value);
- event latency (`bench/pipeline_latency.py`): first frame with people → MQTT `new`, and →
  first `has_snapshot`, p50 / p95 over the cycles.

Roost's children are spawned: each imports this script again, as its main module, before
it runs (under `roost serve`, the small `roost` entry script). So `roost.app` (the API
server and all) and ONNX Runtime are imported inside the functions that use them: at the
top they would load into every camera and capture process, which under `roost serve`
never load them: 2 s more to start each, 0.35 s more to exit, and 9 cameras took over 3 s
to stop (their processes were killed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from motion import decode_yuv_frames, measure_motion_cost  # noqa: E402
from pipeline_idle import decode_floor, idle_camera, make_idle_scenes  # noqa: E402
from pipeline_latency import measure_event_latency, summary  # noqa: E402

from roost.config import validate_raw  # noqa: E402
from roost.config.services import DetectorConfig, ModelConfig  # noqa: E402
from roost.ffmpeg import ffmpeg_binary  # noqa: E402
from roost.paths import model_cache_dir  # noqa: E402

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
WIDTH, HEIGHT = 768, 576


def decode_fps() -> float:
    started = time.perf_counter()
    raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-threads", "1", "-i", str(VTEST), "-f", "rawvideo",
                          "-pix_fmt", "yuv420p", "pipe:"], capture_output=True, check=True).stdout
    frames = len(raw) // (WIDTH * HEIGHT * 3 // 2)
    return frames / (time.perf_counter() - started)


def inference_ms(threads: int, crops: list[np.ndarray]) -> float:
    from roost.detect.onnx_detector import OnnxDetector  # here, not at the top: see the module docstring

    detector = OnnxDetector(ModelConfig(), DetectorConfig(num_threads=threads), model_cache_dir())
    for crop in crops[:5]:
        detector.detect(crop)
    started = time.perf_counter()
    for crop in crops:
        detector.detect(crop)
    return (time.perf_counter() - started) / len(crops) * 1000


def region_crops(frames: np.ndarray, count: int = 40) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    crops = []
    for index in range(count):
        rgb = cv2.cvtColor(frames[index * 7 % len(frames)], cv2.COLOR_YUV2RGB_I420)
        side = int(rng.integers(320, 576))
        y, x = int(rng.integers(0, HEIGHT - side + 1)), int(rng.integers(0, WIDTH - side + 1))
        crops.append(np.asarray(cv2.resize(rgb[y:y + side, x:x + side], (320, 320)), np.uint8))
    return crops


@dataclass(frozen=True)
class RoostRun:
    """What a running Roost did over a measured window: CPU (% of one core, all its
    processes) and, per camera, the mean of its per-second stats samples."""

    cpu_percent: float
    process_fps: dict[str, float]
    skipped_fps: dict[str, float]
    detection_fps: dict[str, float]
    camera_fps: dict[str, float]
    #: Private memory (USS, MB) of each camera's own processes at the end of the window:
    #: its camera process, capture process and capture ffmpeg.
    camera_memory_mb: dict[str, float]


#: A camera "keeps up" at 5 fps when it processed at least this many frames a second and
#: skipped at most `MAX_SKIPPED_FPS` (frames dropped because the camera process was behind).
KEEPS_UP_FPS = 4.75
MAX_SKIPPED_FPS = 0.25
MAX_STEPS_DOWN = 3
MAX_STEPS_UP = 3

VTEST_CAMERA = {"ffmpeg": {"inputs": [{"path": str(VTEST), "roles": ["detect"], "input_args": "-stream_loop -1 -re"}]},
                "detect": {"width": WIDTH, "height": HEIGHT, "fps": 5}}


def run_cameras(count: int, seconds: float, camera: dict[str, object] = VTEST_CAMERA) -> RoostRun:
    """Run Roost with `count` cameras (vtest.avi at 5 fps unless `camera` says otherwise; each
    its own ffmpeg) and two single-thread detector processes, and measure it for `seconds`
    after a warm-up."""
    from roost.app import Supervisor  # here, not at the top: see the module docstring

    detectors = {f"cpu{i}": {"type": "cpu", "num_threads": 1} for i in range(1 if count == 1 else 2)}
    config = validate_raw({"api": {"enabled": False}, "auth": {"enabled": False}, "detectors": detectors,
                           "cameras": {f"vtest{i}": camera for i in range(count)}})
    with tempfile.TemporaryDirectory() as media:
        supervisor = Supervisor(config, Path(media), model_cache_dir())
        supervisor.start()
        try:
            time.sleep(8 + 2 * count)  # processes spawned, models loaded, backgrounds learned
            assert supervisor.pipeline is not None
            me = psutil.Process()
            procs = [me, *me.children(recursive=True)]
            before = {p.pid: sum(p.cpu_times()[:4]) for p in procs}
            samples = []
            started = time.monotonic()
            while time.monotonic() - started < seconds:
                time.sleep(1.0)
                samples.append(supervisor.pipeline.camera_stats())
            used = 0.0
            for p in procs:
                try:
                    used += sum(p.cpu_times()[:4]) - before[p.pid]
                except psutil.NoSuchProcess:
                    continue
            wall = time.monotonic() - started

            def mean(field: str) -> dict[str, float]:
                return {name: statistics.fmean(getattr(sample[name], field) for sample in samples)
                        for name in config.config.cameras}

            return RoostRun(used / wall * 100, mean("process_fps"), mean("skipped_fps"),
                            mean("detection_fps"), mean("camera_fps"), camera_memory_mb(samples[-1]))
        finally:
            supervisor.stop()


def camera_memory_mb(stats: dict[str, Any]) -> dict[str, float]:
    """Each camera's processes' private memory (USS) in MB, from one `camera_stats()`."""
    memory = {}
    for name, camera in stats.items():
        total = 0
        for pid in (camera.pid, camera.capture_pid, camera.ffmpeg_pid):
            try:
                total += psutil.Process(pid).memory_full_info().uss if pid else 0
            except psutil.NoSuchProcess:
                continue
        memory[name] = total / 2**20
    return memory


def keeps_up(run: RoostRun) -> bool:
    """Every camera processed (nearly) every frame of its 5 fps."""
    return min(run.process_fps.values()) >= KEEPS_UP_FPS and max(run.skipped_fps.values()) <= MAX_SKIPPED_FPS


def checked_cameras(projected: int, seconds: float, added: float) -> tuple[int, RoostRun]:
    """Run `projected` cameras at once; while they do not all keep up, one fewer (at most
    `MAX_STEPS_DOWN` times). While they do and their CPU leaves room for a camera more (`added`
    % of a core each), one more (at most `MAX_STEPS_UP` times): the projection is a line
    through two small runs, and the real count is what runs. The count returned is the
    largest seen keeping up, or the last tried when none did (its run says so)."""
    count, best, stepped_down = projected, None, False
    while True:
        run = run_cameras(count, seconds)
        print(f"{count} cameras at once: {run.cpu_percent:.0f} % CPU, slowest camera processed "
              f"{min(run.process_fps.values()):.2f} fps, most skipped {max(run.skipped_fps.values()):.2f} fps, "
              f"{sum(run.detection_fps.values()):.1f} detections/s in all, "
              f"{statistics.fmean(run.camera_memory_mb.values()):.0f} MB private memory a camera", flush=True)
        if keeps_up(run):
            best = (count, run)
            if stepped_down or count >= projected + MAX_STEPS_UP or run.cpu_percent + added > 200:
                return best
            count += 1
        elif best is not None:
            return best
        elif count == 1 or count <= projected - MAX_STEPS_DOWN:
            return count, run
        else:
            count, stepped_down = count - 1, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    if not VTEST.is_file():
        sys.exit(f"{VTEST} is missing: run `make setup` (installs Debian's opencv-doc)")
    fps = decode_fps()
    print(f"decode: {fps:.0f} frames/s (ffmpeg, one thread, 768x576)", flush=True)
    frames = decode_yuv_frames(VTEST, WIDTH, HEIGHT, 300)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)  # as bench/motion.py: one camera process uses one core
    motion = measure_motion_cost(frames, rounds=3)
    cv2.setNumThreads(threads)
    print(f"motion: {motion['motion_ms_per_frame']:.3f} ms/frame vs naive {motion['naive_ms_per_frame']:.3f} "
          f"ms/frame, ratio {motion['motion_cost_ratio_vs_naive']:.3f}", flush=True)
    crops = region_crops(frames)
    one, two = inference_ms(1, crops), inference_ms(2, crops)
    print(f"inference per region (YOLOv3-tiny 320 int8): {one:.1f} ms (1 thread), {two:.1f} ms (2 threads)", flush=True)
    single = run_cameras(1, args.seconds)
    cpu, detections = single.cpu_percent, single.detection_fps["vtest0"]
    pair = run_cameras(2, args.seconds)
    marginal = max(pair.cpu_percent - cpu, 1.0)
    fixed = max(cpu - marginal, 0.0)
    projected = int((200 - fixed) // marginal)
    print(f"one camera at 5 fps: {cpu:.1f} % of one core, {detections:.1f} detections/s, "
          f"{single.camera_fps['vtest0']:.1f} fps read, its processes {single.camera_memory_mb['vtest0']:.0f} MB "
          f"private memory; two: {pair.cpu_percent:.1f} %, so each camera adds "
          f"{marginal:.1f} % over {fixed:.1f} % shared (main process, second detector): {projected} fit on 2 cores",
          flush=True)
    # the projection checked: that many cameras at once must all keep up, else one fewer;
    # when they do with CPU to spare, one more
    tried, many = checked_cameras(max(projected, 1), args.seconds, marginal)
    cameras = tried if keeps_up(many) else tried - 1  # none seen keeping up: fewer than the fewest tried
    slowest = min(many.process_fps.values())
    skipped = max(many.skipped_fps.values())
    idle: dict[str, tuple[float, float, float, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, video in make_idle_scenes(VTEST, Path(folder)).items():
            roost = run_cameras(1, args.seconds, idle_camera(video))
            floor = decode_floor(video, args.seconds)
            idle[name] = (roost.cpu_percent, floor.cpu_percent, roost.process_fps["vtest0"], floor.frames_per_s)
            print(f"idle camera ({name}, 1280x720 H.264 + noise, 5 fps): Roost {roost.cpu_percent:.1f} % of one core "
                  f"({roost.process_fps['vtest0']:.1f} fps processed, {roost.detection_fps['vtest0']:.2f} detections/s); "
                  f"bare ffmpeg decode {floor.cpu_percent:.1f} % ({floor.frames_per_s:.1f} fps); "
                  f"ratio {roost.cpu_percent / floor.cpu_percent:.2f}", flush=True)
    worst = max(idle, key=lambda n: idle[n][0] / idle[n][1])
    latency = summary(measure_event_latency(VTEST))
    print(f"event latency (people appear → MQTT new): p50 {latency['event_latency_ms_p50']} ms, "
          f"p95 {latency['event_latency_ms_p95']} ms; → first snapshot: p50 {latency['snapshot_latency_ms_p50']} ms, "
          f"p95 {latency['snapshot_latency_ms_p95']} ms ({latency['latency_cycles_with_event']} of "
          f"{latency['latency_cycles']} appearances made an event)", flush=True)
    print(json.dumps({
        "decode_fps": round(fps, 1),
        "inference_ms_per_region_1_thread": round(one, 2),
        "inference_ms_per_region_2_threads": round(two, 2),
        "motion_ms_per_frame": motion["motion_ms_per_frame"],
        "naive_motion_ms_per_frame": motion["naive_ms_per_frame"],
        "motion_cost_ratio_vs_naive": motion["motion_cost_ratio_vs_naive"],
        "detections_per_s": round(detections, 2),
        "cpu_percent_per_camera": round(cpu, 1),
        "cameras_at_5fps_on_2_cores": cameras,
        "cameras_run_together": tried,
        "cameras_kept_up": keeps_up(many),
        "cpu_percent_added_per_camera": round(marginal, 1),
        "cpu_percent_shared": round(fixed, 1),
        "cameras_projected": projected,
        "slowest_camera_process_fps": round(slowest, 2),
        "most_skipped_fps": round(skipped, 2),
        "cpu_percent_all_cameras": round(many.cpu_percent, 1),
        "memory_mb_per_camera": round(statistics.fmean(many.camera_memory_mb.values()), 1),
        "cpu_percent_per_idle_camera": round(idle[worst][0], 1),
        "decode_floor_cpu_percent": round(idle[worst][1], 1),
        "idle_ratio_vs_decode_floor": round(idle[worst][0] / idle[worst][1], 2),
        **{f"idle_ratio_{name}": round(r / f, 2) for name, (r, f, _, _) in idle.items()},
        **latency,
    }))


if __name__ == "__main__":
    main()
