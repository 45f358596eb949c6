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
  in % of one core; cameras at 5 fps on 2 cores = 200 / that.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from motion import decode_yuv_frames, measure_motion_cost  # noqa: E402

from roost.app import Supervisor  # noqa: E402
from roost.config import validate_raw  # noqa: E402
from roost.config.services import DetectorConfig, ModelConfig  # noqa: E402
from roost.detect.onnx_detector import OnnxDetector  # noqa: E402
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


def cpu_per_camera(seconds: float) -> tuple[float, float, float]:
    """(CPU % of one core for one camera, detections/s, camera fps) of a running Roost."""
    config = validate_raw({
        "api": {"enabled": False}, "auth": {"enabled": False},
        "detectors": {"cpu": {"type": "cpu", "num_threads": 1}},
        "cameras": {"vtest": {"ffmpeg": {"inputs": [{"path": str(VTEST), "roles": ["detect"],
                                                     "input_args": "-stream_loop -1 -re"}]},
                              "detect": {"width": WIDTH, "height": HEIGHT, "fps": 5}}},
    })
    with tempfile.TemporaryDirectory() as media:
        supervisor = Supervisor(config, Path(media), model_cache_dir())
        supervisor.start()
        try:
            time.sleep(8)  # models loaded, ffmpeg running, background learned
            me = psutil.Process()
            procs = [me, *me.children(recursive=True)]
            before = {p.pid: sum(p.cpu_times()[:4]) for p in procs}
            started = time.monotonic()
            time.sleep(seconds)
            used = 0.0
            for p in procs:
                try:
                    used += sum(p.cpu_times()[:4]) - before[p.pid]
                except psutil.NoSuchProcess:
                    continue
            wall = time.monotonic() - started
            assert supervisor.pipeline is not None
            stats = supervisor.pipeline.camera_stats()["vtest"]
            return used / wall * 100, stats.detection_fps, stats.camera_fps
        finally:
            supervisor.stop()


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
    cpu, detections, camera_fps = cpu_per_camera(args.seconds)
    cameras = int(200 // cpu) if cpu > 0 else 0
    print(f"one camera at 5 fps: {cpu:.1f} % of one core, {detections:.1f} detections/s, "
          f"{camera_fps:.1f} fps read; cameras at 5 fps on 2 cores: {cameras}", flush=True)
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
    }))


if __name__ == "__main__":
    main()
