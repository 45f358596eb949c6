"""Decoding raw detector outputs, labelmaps and region → frame coordinates, on real arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from roost.detect.decode import decode_ssd, decode_yolo_table, decode_yolov3, nms
from roost.detect.detection import detections_in_frame
from roost.detect.onnx_detector import load_labelmap
from roost.detect.region import Region


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def test_yolov3_head_decodes_centre_size_and_score() -> None:
    anchors = [[(10.0, 14.0), (23.0, 27.0), (37.0, 58.0)]]
    head = np.full((1, 3 * 85, 4, 4), -10.0, np.float32)  # 3 anchors × (4 box + 1 obj + 80 classes), 4x4 grid
    cell = head[0].reshape(3, 85, 4, 4)
    a, gy, gx = 2, 1, 2
    cell[a, 0, gy, gx] = 0.0  # sigmoid 0.5 → centre of the cell
    cell[a, 1, gy, gx] = 0.0
    cell[a, 2, gy, gx] = 0.0  # exp(0) × anchor
    cell[a, 3, gy, gx] = 0.0
    cell[a, 4, gy, gx] = logit(0.9)  # objectness
    cell[a, 5 + 15, gy, gx] = logit(0.8)  # class 15 (cat)
    rows = decode_yolov3([head], anchors, input_size=128)
    assert rows.shape == (1, 6)
    class_id, score, x1, y1, x2, y2 = rows[0]
    assert class_id == 15 and score == pytest.approx(0.72, abs=1e-3)
    assert (x1 + x2) / 2 == pytest.approx((gx + 0.5) / 4) and (y1 + y2) / 2 == pytest.approx((gy + 0.5) / 4)
    assert x2 - x1 == pytest.approx(37 / 128) and y2 - y1 == pytest.approx(58 / 128)


def test_nms_keeps_the_best_of_overlapping_boxes_per_class() -> None:
    rows = np.array([[0, 0.9, 0.1, 0.1, 0.5, 0.5], [0, 0.8, 0.12, 0.1, 0.52, 0.5],  # same person twice
                     [1, 0.7, 0.12, 0.1, 0.52, 0.5],  # another class at the same place stays
                     [0, 0.6, 0.6, 0.6, 0.9, 0.9]], np.float32)
    kept = nms(rows)
    assert kept[:, 1].tolist() == pytest.approx([0.9, 0.7, 0.6])


def test_ssd_outputs() -> None:
    boxes = np.array([[[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 1.0, 1.0], [0.3, 0.3, 0.4, 0.4]]], np.float32)  # ymin, xmin, ymax, xmax
    classes = np.array([[0, 2, 1]], np.float32)
    scores = np.array([[0.9, 0.2, 0.8]], np.float32)
    rows = decode_ssd([boxes, classes, scores, np.array([2], np.float32)])
    # count 2 drops the third; 0.2 is below the score threshold
    np.testing.assert_allclose(rows, [[0, 0.9, 0.2, 0.1, 0.6, 0.5]], rtol=1e-6)


@pytest.mark.parametrize("transpose", [False, True])
def test_yolo_table_with_and_without_objectness(transpose: bool) -> None:
    table = np.zeros((1, 10, 4 + 3), np.float32)  # 10 candidates, 3 classes, no objectness (YOLOv8 style)
    table[0, 4] = [160, 120, 64, 48, 0.1, 0.95, 0.0]
    output = table.transpose(0, 2, 1) if transpose else table
    rows = decode_yolo_table(output, 320, 240, 3)
    np.testing.assert_allclose(rows, [[1, 0.95, 0.4, 0.4, 0.6, 0.6]], rtol=1e-6)


def test_labelmaps(tmp_path: Path) -> None:
    plain = tmp_path / "coco.names"
    plain.write_text("person\nbicycle\ncar\n")
    assert load_labelmap(plain) == ["person", "bicycle", "car"]
    numbered = tmp_path / "labelmap.txt"
    numbered.write_text("0 person\n2 car\n")  # Frigate's numbered form, with a gap
    assert load_labelmap(numbered) == ["person", "1", "car"]


def test_region_detections_to_frame_pixels() -> None:
    raw = np.array([[0, 0.9, 0.25, 0.5, 0.5, 1.0], [2, 0.8, 0.0, 0.0, 0.1, 0.1], [0, 0.7, 0.5, 0.5, 0.5, 0.9]], np.float32)
    found = detections_in_frame(raw, Region(100, 50, 420, 370), ["person", "bicycle", "car"], wanted={"person"})
    assert len(found) == 1  # car not wanted, the empty box dropped
    person = found[0]
    assert person.box == (180, 210, 260, 370) and person.area == 80 * 160 and person.ratio == 0.5
    assert person.region == Region(100, 50, 420, 370)
