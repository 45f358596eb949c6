"""Run-time cost of custom classification.

    .venv/bin/python bench/classify.py

1. Trains a 2-class state model the way Roost does (EfficientNet-Lite0 features + head,
   fused into one ONNX model) on crops of a fixed region of vtest.avi, then times one crop
   per inference on one thread: the float model and an int8 copy (ONNX Runtime dynamic
   quantization of the fused model), with the agreement of their top-1 on held-out crops
   (accuracy kept).
2. Runs 5 state models at `interval: 1` on 4 cameras through the real `StateClassifier`
   for 30 simulated seconds and reports the CPU they use, in % of one core.
Prints as it goes; the last line is one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from roost.classify.model_files import load_model, model_paths, preprocess
from roost.classify.runtime import StateClassifier
from roost.config import validate_raw
from roost.ffmpeg import ffmpeg_binary
from roost.hub import Hub
from roost.paths import model_cache_dir
from roost.train.pipeline import TrainingRequest, train_model

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
REGION = (300, 150, 460, 310)  # x1, y1, x2, y2: a stretch of path people cross


def vtest_frames() -> np.ndarray:
    raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-i", str(VTEST), "-vf", "fps=5", "-f", "rawvideo",
                          "-pix_fmt", "bgr24", "pipe:"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, 576, 768, 3)


def build_dataset(frames: np.ndarray, clips: Path) -> list[np.ndarray]:
    """Label crops by how far they are from the median (empty) scene; returns held-out crops."""
    x1, y1, x2, y2 = REGION
    crops = frames[:, y1:y2, x1:x2]
    empty = np.median(crops, axis=0)
    change = (np.abs(crops.astype(np.int16) - empty).max(axis=3) > 40).mean(axis=(1, 2))
    for label, chosen in (("occupied", np.flatnonzero(change > 0.05)), ("empty", np.flatnonzero(change < 0.005))):
        folder = clips / "spot" / "dataset" / label
        folder.mkdir(parents=True)
        for index in chosen[::4][:15]:
            cv2.imwrite(str(folder / f"{index:04d}.png"), crops[index])
    return [np.ascontiguousarray(c) for c in crops[1::3]]


def quantized_copy(cache: Path, calibration: list[np.ndarray]) -> Path:
    """Static int8 (QDQ, per channel) copy of the fused model, calibrated on real crops
    preprocessed exactly as at run time."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    source = model_paths("spot", cache)
    target = cache / "spot_int8"
    target.mkdir()
    for name in ("labelmap.txt", "metadata.json"):
        (target / name).write_bytes((source.root / name).read_bytes())
    loaded = load_model("spot", cache)

    class Crops(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.items = iter([{"input": preprocess(cv2.cvtColor(c, cv2.COLOR_BGR2RGB), loaded.preprocessing)}
                               for c in calibration])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    quantize_static(str(source.model), str(target / "model.onnx"), Crops(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
    return target


def ms_per_crop(model_name: str, cache: Path, crops: list[np.ndarray]) -> tuple[float, np.ndarray]:
    model = load_model(model_name, cache, threads=1)
    rgb = [cv2.cvtColor(c, cv2.COLOR_BGR2RGB) for c in crops]
    for image in rgb[:5]:
        model.predict(image)
    started = time.perf_counter()
    tops = [int(np.argmax(model.predict(image)[0])) for image in rgb]
    return (time.perf_counter() - started) / len(rgb) * 1000, np.array(tops)


def five_models_four_cameras(cache: Path, frames: np.ndarray) -> float:
    cameras = {f"cam{i}": {"ffmpeg": {"inputs": [{"path": "x", "roles": ["detect"]}]},
                           "detect": {"width": 768, "height": 576}} for i in range(4)}
    crop = {"crop": list(REGION)}
    custom = {f"m{i}": {"state_config": {"interval": 1, "cameras": {c: crop for c in cameras}}} for i in range(5)}
    config = validate_raw({"cameras": cameras, "classification": {"custom": custom}}).config
    for name in custom:
        target = cache / name
        target.mkdir()
        for item in model_paths("spot", cache).root.iterdir():
            (target / item.name).symlink_to(item.resolve())
    hub = Hub()
    with tempfile.TemporaryDirectory() as clips:
        models = [StateClassifier(n, config.classification.custom[n], config.cameras, cache, Path(clips), hub)
                  for n in custom]
        for model in models:
            model.slot.current()
        seconds = 30
        started = time.process_time()
        for second in range(seconds):
            frame = frames[second * 5 % len(frames)]
            for camera in cameras:
                for model in models:
                    model.on_frame(camera, 1000.0 + second, lambda _c: frame, [])
        used = time.process_time() - started
    hub.close()
    return used / seconds * 100


def main() -> None:
    frames = vtest_frames()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        clips, cache = root / "clips", root / "cache"
        (cache / "backbone").mkdir(parents=True)
        for item in (model_cache_dir() / "backbone").iterdir():
            (cache / "backbone" / item.name).symlink_to(item.resolve())
        held_out = build_dataset(frames, clips)
        summary = train_model(TrainingRequest("spot", clips, cache))
        print(f"trained 'spot': {summary.get('metrics', {}).get('accuracy')} cross-validated accuracy", flush=True)
        float_ms, float_top = ms_per_crop("spot", cache, held_out)
        print(f"float model: {float_ms:.2f} ms per crop (1 thread)", flush=True)
        quantized_copy(cache, held_out[::4][:32])
        int8_ms, int8_top = ms_per_crop("spot_int8", cache, held_out)
        kept = float((float_top == int8_top).mean())
        print(f"int8 model: {int8_ms:.2f} ms per crop (1 thread); top-1 agrees with float on {kept:.1%} "
              f"of {len(held_out)} held-out crops", flush=True)
        cpu = five_models_four_cameras(cache, frames)
        print(f"5 state models at interval 1 on 4 cameras: {cpu:.1f} % of one core", flush=True)
    print(json.dumps({"inference_ms_per_crop": round(min(float_ms, int8_ms), 2),
                      "inference_ms_per_crop_float": round(float_ms, 2),
                      "inference_ms_per_crop_int8": round(int8_ms, 2),
                      "int8_top1_agreement": round(kept, 4),
                      "cpu_percent_5_models_4_cameras": round(cpu, 1)}))


if __name__ == "__main__":
    main()
