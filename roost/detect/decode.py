"""Turning raw model outputs into `(N, 6)` detections: `class_id, score, x1, y1, x2, y2`,
coordinates normalized 0..1 to the model input (pure numpy + OpenCV's NMS).

One decoder per Frigate `model_type`: `yolov3` (Darknet heads, decoded with the anchors
stored in the model), `ssd` (boxes/classes/scores/count outputs), and `yolox` /
`yolo-generic` (one `(N, 4 + classes)` or `(N, 5 + classes)` table in input pixels).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

SCORE_THRESHOLD = 0.3  # below this nothing is reported (filters' min_score applies later)
NMS_IOU = 0.45
MAX_DETECTIONS = 20  # as Frigate: at most 20 objects per region

EMPTY = np.zeros((0, 6), np.float32)


def sigmoid(x: F32) -> F32:
    result: F32 = (1.0 / (1.0 + np.exp(-x))).astype(np.float32)
    return result


def nms(rows: F32, iou: float = NMS_IOU, limit: int = MAX_DETECTIONS) -> F32:
    """Per-class non-maximum suppression over `(N, 6)` rows; best first, at most `limit`."""
    if len(rows) == 0:
        return EMPTY
    boxes = rows[:, 2:6]
    xywh = np.column_stack((boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]))
    keep = cv2.dnn.NMSBoxesBatched(xywh.tolist(), rows[:, 1].tolist(), rows[:, 0].astype(int).tolist(),
                                   0.0, iou)
    kept = rows[np.asarray(keep, int).reshape(-1)]
    kept = kept[np.argsort(-kept[:, 1])][:limit]
    return np.ascontiguousarray(kept, np.float32)


def decode_yolov3(heads: Sequence[F32], anchors: Sequence[Sequence[tuple[float, float]]], input_size: int,
                  threshold: float = SCORE_THRESHOLD) -> F32:
    """Darknet YOLO heads `(1, A*(5+C), h, w)`: centre = (sigmoid(t) + cell) / grid, size =
    exp(t) * anchor / input size, score = sigmoid(objectness) * sigmoid(class)."""
    rows = []
    for head, head_anchors in zip(heads, anchors):
        count = len(head_anchors)
        _, depth, grid_h, grid_w = head.shape
        table = head.reshape(count, depth // count, grid_h, grid_w).transpose(2, 3, 0, 1)  # h, w, A, 5+C
        objectness = sigmoid(table[..., 4])
        candidates = objectness > threshold
        if not candidates.any():
            continue
        gy, gx, a = np.nonzero(candidates)
        cells = table[gy, gx, a]
        class_scores = sigmoid(cells[:, 5:]) * objectness[gy, gx, a][:, None]
        classes = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(classes)), classes]
        cx = (sigmoid(cells[:, 0]) + gx) / grid_w
        cy = (sigmoid(cells[:, 1]) + gy) / grid_h
        anchor_array = np.asarray(head_anchors, np.float32)[a]
        bw = np.exp(cells[:, 2]) * anchor_array[:, 0] / input_size
        bh = np.exp(cells[:, 3]) * anchor_array[:, 1] / input_size
        rows.append(np.column_stack((classes, scores, cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)))
    if not rows:
        return EMPTY
    table_rows = np.concatenate(rows).astype(np.float32)
    table_rows = table_rows[table_rows[:, 1] >= threshold]
    table_rows[:, 2:] = np.clip(table_rows[:, 2:], 0.0, 1.0)
    return nms(table_rows)


def decode_ssd(outputs: Sequence[F32], threshold: float = SCORE_THRESHOLD) -> F32:
    """TF-style SSD: boxes `(1, N, 4)` as ymin, xmin, ymax, xmax (normalized), classes
    `(1, N)`, scores `(1, N)`, count `(1,)`."""
    boxes, classes, scores = (np.asarray(o, np.float32).reshape(-1, *o.shape[2:]) for o in outputs[:3])
    boxes = boxes.reshape(-1, 4)
    classes, scores = classes.reshape(-1), scores.reshape(-1)
    count = int(np.asarray(outputs[3]).reshape(-1)[0]) if len(outputs) > 3 else len(scores)
    keep = np.arange(len(scores)) < count
    keep &= scores >= threshold
    rows = np.column_stack((classes[keep], scores[keep], boxes[keep][:, 1], boxes[keep][:, 0],
                            boxes[keep][:, 3], boxes[keep][:, 2])).astype(np.float32)
    return rows[np.argsort(-rows[:, 1])][:MAX_DETECTIONS] if len(rows) else EMPTY


def decode_yolo_table(output: F32, input_width: int, input_height: int, num_classes: int,
                      threshold: float = SCORE_THRESHOLD) -> F32:
    """One table of `cx, cy, w, h` in input pixels plus class scores, with (YOLOX, YOLOv5)
    or without (YOLOv8+) an objectness column; either `(1, N, D)` or `(1, D, N)`."""
    table = np.asarray(output, np.float32).reshape(output.shape[-2], output.shape[-1])
    if table.shape[0] in (num_classes + 4, num_classes + 5) and table.shape[1] not in (num_classes + 4, num_classes + 5):
        table = table.T
    has_objectness = table.shape[1] == num_classes + 5
    class_scores = table[:, 5:] * table[:, 4:5] if has_objectness else table[:, 4:]
    classes = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(classes)), classes]
    keep = scores >= threshold
    cx, cy, w, h = (table[keep, i] for i in range(4))
    rows = np.column_stack((classes[keep], scores[keep], (cx - w / 2) / input_width, (cy - h / 2) / input_height,
                            (cx + w / 2) / input_width, (cy + h / 2) / input_height)).astype(np.float32)
    rows[:, 2:] = np.clip(rows[:, 2:], 0.0, 1.0)
    return nms(rows)
