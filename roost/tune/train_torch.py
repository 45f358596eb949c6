"""The tuning child: fine-tunes the default detector's last layers on the verified frames
with torch, in the tune virtualenv (`scripts/prepare-tune.sh`), never in the server's.

    <tune venv>/bin/python -m roost.tune.train_torch JOB.json

Imports only torch, numpy, onnx and the standard library (the server never imports this
module). The torch model is the default detector's own ONNX graph (Roost's converter's
YOLOv3-tiny: Darknet weights with batch norm folded in, the corrected masks in its metadata)
run node by node with its weights as parameters, so the tuned model is written back into
the same graph: same inputs, raw heads and metadata, decoded like the default one. New
labels are new classes after the model's own: each head's last convolution is widened,
the old classes' weights kept.

Cheap on a CPU: all but the last `depth` convolutions of each head's path are frozen, so the
frozen layers run once per training crop and their outputs are kept (float16); only the
last layers train (`depth`), for `epochs` passes over the crops. Progress goes to stdout as one JSON
object a line (`stage`, `step`, `steps`, `loss`, `message`); the last line has
`stage: "done"` and the path of the float model written, or `stage: "failed"`.

The job file (written by `roost.tune.job`): `base_model` (float ONNX at `size`), `size`,
`labels` (the model's labels then the new ones), `frames` (`[{"image": .npy of an RGB
uint8 H x W x 3 array, "boxes": [[class index, x1, y1, x2, y2], ...]}]`, image pixels),
`epochs`, `crops_per_frame`, `learning_rate`, `seed`, `threads`, `output`.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch  # type: ignore[import-not-found]
import torch.nn.functional as F  # type: ignore[import-not-found]
from onnx import numpy_helper

#: How many convolutions train on each head's path, from its last one back (YOLOv3-tiny: 1 =
#: the two 1x1 head layers, 2 = with the 3x3 layers before them); all others are frozen.
DEFAULT_DEPTH = 2
BATCH = 8
PAD_VALUE = 114  # grey, as the full-frame view of the evaluation pads
#: Darknet's ignore_thresh for yolov3-tiny: predictions this close to a true box are not
#: pushed towards "no object".
IGNORE_IOU = 0.7
#: Initial logit of a new class (sigmoid ~ 0.01): new classes start silent.
NEW_CLASS_BIAS = -4.6
LEAKY_SLOPE = 0.1
#: A true box cut by a crop to less than this share of its area is not a target (and not a
#: negative either).
MIN_VISIBLE = 0.5


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class GraphModel(torch.nn.Module):  # type: ignore[misc]
    """An ONNX graph of Conv / LeakyRelu / MaxPool / Resize / Concat / Identity nodes as a torch
    module whose last `depth` convolutions on each head's path train (`trained_convs`):
    `frozen` runs what does not depend on them, `trainable` the rest from its `boundary`."""

    def __init__(self, model: onnx.ModelProto, extra_classes: int, anchors_per_head: int, depth: int) -> None:
        super().__init__()
        graph = model.graph
        self.nodes = list(graph.node)
        self.outputs = [o.name for o in graph.output]
        self.constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.params = torch.nn.ParameterDict()
        producers = {out: node for node in self.nodes for out in node.output}
        self.head_convs: list[str] = []
        for output in self.outputs:
            node = producers[output]
            while node.op_type == "Identity":
                node = producers[node.input[0]]
            self.head_convs.append(node.name)
        for node in self.nodes:
            if node.op_type != "Conv":
                continue
            weight = torch.from_numpy(self.constants[node.input[1]].copy())
            bias = torch.from_numpy(self.constants[node.input[2]].copy())
            if node.name in self.head_convs and extra_classes:
                weight, bias = widen(weight, bias, anchors_per_head, extra_classes)
            self.params[key(node.input[1])] = torch.nn.Parameter(weight)
            self.params[key(node.input[2])] = torch.nn.Parameter(bias)
        trained = trained_convs(self.nodes, self.head_convs, depth)
        self.trained_names = {i for n in self.nodes if n.name in trained for i in n.input[1:3]}
        for node in self.nodes:
            if node.op_type == "Conv" and node.name not in trained:
                for name in node.input[1:3]:
                    self.params[key(name)].requires_grad_(False)
        # Nodes downstream of a trained convolution run per step; the rest once per view.
        downstream: set[str] = set()
        self.trainable_nodes, self.frozen_nodes = [], []
        for node in self.nodes:
            if node.name in trained or any(i in downstream for i in node.input):
                downstream.update(node.output)
                self.trainable_nodes.append(node)
            else:
                self.frozen_nodes.append(node)
        made = {out for n in self.frozen_nodes for out in n.output} | {graph.input[0].name}
        needed = {i for n in self.trainable_nodes for i in n.input if i}
        self.boundary = sorted(needed & made)

    def run(self, values: dict[str, Any], nodes: list[onnx.NodeProto]) -> dict[str, Any]:
        for node in nodes:
            inputs = [values[i] if i in values else None for i in node.input]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            op = node.op_type
            if op == "Conv":
                pads = list(attrs.get("pads", [0, 0, 0, 0]))
                x = inputs[0]
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
                    padding: int | tuple[int, int] = 0
                else:
                    padding = (pads[0], pads[1])
                out = F.conv2d(x, self.params[key(node.input[1])], self.params[key(node.input[2])],
                               stride=tuple(attrs.get("strides", [1, 1])), padding=padding)
            elif op == "LeakyRelu":
                out = F.leaky_relu(inputs[0], float(attrs.get("alpha", LEAKY_SLOPE)))
            elif op == "MaxPool":
                pads = list(attrs.get("pads", [0, 0, 0, 0]))
                x = F.pad(inputs[0], (pads[1], pads[3], pads[0], pads[2]), value=float("-inf")) if any(pads) else inputs[0]
                out = F.max_pool2d(x, tuple(attrs["kernel_shape"]), tuple(attrs.get("strides", [1, 1])))
            elif op == "Resize":
                scales = self.constants[node.input[2]]
                out = F.interpolate(inputs[0], scale_factor=(float(scales[2]), float(scales[3])), mode="nearest")
            elif op == "Concat":
                out = torch.cat(inputs, dim=int(attrs["axis"]))
            elif op == "Identity":
                out = inputs[0]
            else:
                raise ValueError(f"ONNX op {op} ({node.name}) is not supported by the tuner")
            values[node.output[0]] = out
        return values

    def frozen(self, images: Any) -> list[Any]:
        """The frozen part: the tensors the trainable part reads, in `boundary` order."""
        with torch.no_grad():
            values = self.run({"images": images}, self.frozen_nodes)
        return [values[name] for name in self.boundary]

    def trainable(self, features: list[Any]) -> list[Any]:
        values = self.run(dict(zip(self.boundary, features)), self.trainable_nodes)
        return [values[o] for o in self.outputs]


def trained_convs(nodes: list[onnx.NodeProto], head_convs: list[str], depth: int) -> set[str]:
    """The convolutions that train: each head's last one and the `depth - 1` before it on its
    path (back through single-input nodes; a Concat ends the path)."""
    producers = {out: node for node in nodes for out in node.output}
    chosen: set[str] = set()
    for name in head_convs:
        node: onnx.NodeProto | None = next(n for n in nodes if n.name == name)
        left = depth
        while node is not None and left > 0:
            if node.op_type == "Conv":
                chosen.add(node.name)
                left -= 1
            elif node.op_type == "Concat":
                break
            node = producers.get(node.input[0])
    return chosen


def key(name: str) -> str:
    return name.replace(".", "_")


def widen(weight: Any, bias: Any, anchors: int, extra: int) -> tuple[Any, Any]:
    """A head convolution's `anchors x (5 + C)` output channels → `anchors x (5 + C + extra)`:
    each anchor's block keeps its rows, the new class rows start near zero and silent."""
    depth = weight.shape[0] // anchors
    blocks_w = weight.reshape(anchors, depth, *weight.shape[1:])
    blocks_b = bias.reshape(anchors, depth)
    new_w = torch.randn(anchors, extra, *weight.shape[1:]) * 0.01
    new_b = torch.full((anchors, extra), NEW_CLASS_BIAS)
    return (torch.cat((blocks_w, new_w), 1).reshape(-1, *weight.shape[1:]),
            torch.cat((blocks_b, new_b), 1).reshape(-1))


def crop_views(image: Any, boxes: np.ndarray, size: int, count: int, rng: np.random.Generator,
               smallest: float = 0.45) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """`count` square views of one frame at `size`: the whole frame padded to a square first
    (the view the evaluation uses), then random squares of `smallest`-100 % of the longer side,
    half of them mirrored. Each: `(3 x size x size float tensor 0..1, targets (N, 5) class +
    box in view pixels, ignored (M, 4) boxes cut too much by the view)`."""
    height, width = image.shape[:2]
    longest = max(height, width)
    views = []
    for index in range(count):
        if index == 0:
            side, x0, y0 = longest, 0, 0
        else:
            side = int(rng.uniform(smallest, 1.0) * longest)
            x0 = int(rng.integers(min(0, width - side), max(0, width - side) + 1))
            y0 = int(rng.integers(min(0, height - side), max(0, height - side) + 1))
        canvas = torch.full((side, side, 3), PAD_VALUE, dtype=torch.uint8)
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, width), min(y0 + side, height)
        canvas[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
        tensor = canvas.permute(2, 0, 1)[None].float() / 255.0
        tensor = F.interpolate(tensor, size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0]
        scale = size / side
        shifted = boxes.astype(np.float64).copy().reshape(-1, 5)
        shifted[:, [1, 3]] = (shifted[:, [1, 3]] - x0) * scale
        shifted[:, [2, 4]] = (shifted[:, [2, 4]] - y0) * scale
        clipped = shifted.copy()
        clipped[:, 1:] = np.clip(clipped[:, 1:], 0, size)
        area = (shifted[:, 3] - shifted[:, 1]) * (shifted[:, 4] - shifted[:, 2])
        visible = (clipped[:, 3] - clipped[:, 1]) * (clipped[:, 4] - clipped[:, 2])
        keep = visible >= MIN_VISIBLE * np.maximum(area, 1e-6)
        partly = (visible > 0) & ~keep
        targets, ignored = clipped[keep], clipped[partly][:, 1:]
        if index and rng.random() < 0.5:
            tensor = torch.flip(tensor, dims=(2,))
            targets[:, [1, 3]] = size - targets[:, [3, 1]]
            ignored[:, [0, 2]] = size - ignored[:, [2, 0]]
        if index:
            tensor = (tensor * float(rng.uniform(0.8, 1.2)) + float(rng.uniform(-0.05, 0.05))).clamp(0, 1)
        views.append((tensor, targets, ignored))
    return views


def box_iou(a: Any, b: Any) -> Any:
    """IoU of `(N, 4)` with `(M, 4)` `x1, y1, x2, y2` boxes → `(N, M)`."""
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(1)
    return overlap / (area_a[:, None] + area_b[None, :] - overlap + 1e-9)


def yolo_loss(heads: list[Any], targets: list[np.ndarray], ignored: list[np.ndarray],
              anchors: list[list[tuple[float, float]]], size: int, classes: int) -> Any:
    """YOLOv3's loss, averaged over the batch: each true box is the target of the one anchor
    (of any head) whose shape fits it best, in the cell holding its centre (centre BCE, size
    MSE on log scale weighted by 2 - relative area, objectness BCE, class BCE); every other
    prediction is pushed towards "no object" unless it overlaps a true or ignored box by
    IoU > `IGNORE_IOU`. `targets[b]`: `(N, 5)` class + box, `ignored[b]`: `(M, 4)`, view pixels."""
    batch = heads[0].shape[0]
    flat = [(h, a, wh) for h, head_anchors in enumerate(anchors) for a, wh in enumerate(head_anchors)]
    shapes = np.array([wh for _, _, wh in flat], np.float64)
    avoid_count = max([len(t) + len(i) for t, i in zip(targets, ignored)] + [1])
    avoid = torch.zeros(batch, avoid_count, 4)
    for b in range(batch):
        rows = np.concatenate((targets[b][:, 1:].reshape(-1, 4), ignored[b].reshape(-1, 4)))
        avoid[b, :len(rows)] = torch.from_numpy(rows.astype(np.float32))
    # Each true box's anchor and cell: (batch, head, anchor, y, x, class, box).
    assigned: list[tuple[int, int, int, int, int, int, np.ndarray]] = []
    for b in range(batch):
        for row in targets[b].reshape(-1, 5):
            w, h = max(row[3] - row[1], 1.0), max(row[4] - row[2], 1.0)
            inter = np.minimum(w, shapes[:, 0]) * np.minimum(h, shapes[:, 1])
            head, anchor, _ = flat[int(np.argmax(inter / (w * h + shapes.prod(1) - inter)))]
            grid_h, grid_w = heads[head].shape[2:4]
            gx = min(int((row[1] + row[3]) / 2 / size * grid_w), grid_w - 1)
            gy = min(int((row[2] + row[4]) / 2 / size * grid_h), grid_h - 1)
            assigned.append((b, head, anchor, gy, gx, int(row[0]), row[1:]))
    total = heads[0].new_zeros(())
    for h, head_output in enumerate(heads):
        count = len(anchors[h])
        _, depth, grid_h, grid_w = head_output.shape
        cells = head_output.reshape(batch, count, depth // count, grid_h, grid_w).permute(0, 1, 3, 4, 2)
        with torch.no_grad():
            gy, gx = torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing="ij")
            shape = torch.tensor(anchors[h], dtype=torch.float32)[None, :, None, None]
            cx = (torch.sigmoid(cells[..., 0]) + gx) / grid_w * size
            cy = (torch.sigmoid(cells[..., 1]) + gy) / grid_h * size
            w = torch.exp(cells[..., 2].clamp(max=8)) * shape[..., 0]
            ht = torch.exp(cells[..., 3].clamp(max=8)) * shape[..., 1]
            predicted = torch.stack((cx - w / 2, cy - ht / 2, cx + w / 2, cy + ht / 2), -1).reshape(batch, -1, 4)
            best = torch.stack([box_iou(predicted[b], avoid[b]).max(1).values for b in range(batch)])
            negative = (best <= IGNORE_IOU).reshape(cells.shape[:4])
        mine = [t for t in assigned if t[1] == h]
        for b, _, a, y, x, _, _ in mine:
            negative[b, a, y, x] = False
        objectness = cells[..., 4]
        total = total + F.binary_cross_entropy_with_logits(objectness[negative], torch.zeros_like(objectness[negative]),
                                                           reduction="sum")
        if not mine:
            continue
        index = torch.tensor([[b, a, y, x] for b, _, a, y, x, _, _ in mine])
        picked = cells[index[:, 0], index[:, 1], index[:, 2], index[:, 3]]  # P, 5 + C
        boxes = torch.tensor(np.array([t[6] for t in mine]), dtype=torch.float32)
        bw, bh = (boxes[:, 2] - boxes[:, 0]).clamp(min=1), (boxes[:, 3] - boxes[:, 1]).clamp(min=1)
        tx = (boxes[:, 0] + boxes[:, 2]) / 2 / size * grid_w - index[:, 3]
        ty = (boxes[:, 1] + boxes[:, 3]) / 2 / size * grid_h - index[:, 2]
        anchor_wh = torch.tensor([anchors[h][t[2]] for t in mine], dtype=torch.float32)
        weight = 2.0 - bw * bh / (size * size)
        centre = F.binary_cross_entropy_with_logits(picked[:, :2], torch.stack((tx, ty), 1), reduction="none").sum(1)
        extent = 0.5 * ((picked[:, 2] - torch.log(bw / anchor_wh[:, 0])) ** 2
                        + (picked[:, 3] - torch.log(bh / anchor_wh[:, 1])) ** 2)
        wanted = torch.zeros(len(mine), classes)
        wanted[torch.arange(len(mine)), torch.tensor([t[5] for t in mine])] = 1.0
        total = total + (weight * (centre + extent)).sum()
        total = total + F.binary_cross_entropy_with_logits(picked[:, 4], torch.ones(len(mine)), reduction="sum")
        total = total + F.binary_cross_entropy_with_logits(picked[:, 5:5 + classes], wanted, reduction="sum")
    return total / batch


def export(base: onnx.ModelProto, model: GraphModel, labels: list[str], target: Path) -> None:
    """The base graph with the trained weights (widened heads) written into its initializers."""
    tuned = onnx.ModelProto()
    tuned.CopyFrom(base)
    for initializer in tuned.graph.initializer:
        if initializer.name in model.trained_names:
            array = model.params[key(initializer.name)].detach().numpy().astype(np.float32)
            initializer.CopyFrom(numpy_helper.from_array(array, initializer.name))
    props = {p.key: p.value for p in tuned.metadata_props}
    props.update({"roost.labels": json.dumps(labels), "roost.model_type": "yolov3",
                  "roost.input": "nchw float rgb"})
    del tuned.metadata_props[:]
    onnx.helper.set_model_props(tuned, props)
    onnx.checker.check_model(tuned)
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(tuned, str(target))


def head_classes(model: onnx.ModelProto, anchors_per_head: int) -> int:
    """Classes of the model: its first head's depth is `anchors x (5 + classes)`."""
    producers = {out: node for node in model.graph.node for out in node.output}
    node = producers[model.graph.output[0].name]
    while node.op_type == "Identity":
        node = producers[node.input[0]]
    dims = {i.name: list(i.dims) for i in model.graph.initializer}
    return int(dims[node.input[1]][0]) // anchors_per_head - 5


def anchors_of(model: onnx.ModelProto) -> list[list[tuple[float, float]]]:
    meta = {p.key: p.value for p in model.metadata_props}
    every = [(float(w), float(h)) for w, h in json.loads(meta["roost.yolo_anchors"])]
    return [[every[i] for i in mask] for mask in json.loads(meta["roost.yolo_masks"])]


def tune(job: dict[str, Any]) -> Path:
    torch.manual_seed(int(job["seed"]))
    torch.set_num_threads(int(job.get("threads", 2)))
    rng = np.random.default_rng(int(job["seed"]))
    size = int(job["size"])
    base = onnx.load(job["base_model"])
    anchors = anchors_of(base)
    labels = list(job["labels"])
    base_classes = head_classes(base, len(anchors[0]))
    extra = len(labels) - base_classes
    if extra < 0:
        raise ValueError(f"{len(labels)} labels for a model of {base_classes} classes")
    model = GraphModel(base, extra, len(anchors[0]), int(job.get("depth", DEFAULT_DEPTH)))
    frames = job["frames"]
    count = int(job["crops_per_frame"])
    emit(stage="features", step=0, steps=len(frames), message=f"frozen layers on {len(frames) * count} views")
    features: list[list[Any]] = []
    targets: list[np.ndarray] = []
    ignored: list[np.ndarray] = []
    for index, frame in enumerate(frames):
        image = torch.from_numpy(np.load(frame["image"]))
        boxes = np.asarray(frame["boxes"], np.float64).reshape(-1, 5)
        views = crop_views(image, boxes, size, count, rng, float(job.get("smallest_view", 0.45)))
        boundary = model.frozen(torch.stack([v[0] for v in views]))
        features += [[tensor[v].half() for tensor in boundary] for v in range(len(views))]
        targets += [v[1] for v in views]
        ignored += [v[2] for v in views]
        emit(stage="features", step=index + 1, steps=len(frames))
    trainable = [p for p in model.params.values() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=float(job["learning_rate"]))
    epochs = int(job["epochs"])
    per_epoch = math.ceil(len(features) / BATCH)
    steps = epochs * per_epoch
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=float(job["learning_rate"]),
                                                    total_steps=steps, pct_start=0.15)
    classes = len(labels)
    step = 0
    started = time.monotonic()
    for epoch in range(epochs):
        order = rng.permutation(len(features))
        running = 0.0
        for start in range(0, len(order), BATCH):
            picked = order[start:start + BATCH]
            inputs = [torch.stack([features[i][k].float() for i in picked]) for k in range(len(model.boundary))]
            heads = model.trainable(inputs)
            loss = yolo_loss(heads, [targets[i] for i in picked], [ignored[i] for i in picked], anchors, size,
                             classes)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 10.0)
            optimizer.step()
            scheduler.step()
            running += float(loss.detach())
            step += 1
        emit(stage="training", step=step, steps=steps, epoch=epoch + 1, epochs=epochs,
             loss=round(running / per_epoch, 4), seconds=round(time.monotonic() - started, 1))
    target = Path(job["output"])
    emit(stage="exporting", step=steps, steps=steps, message=f"writing {target.name}")
    model.eval()
    export(base, model, labels, target)
    return target


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    try:
        job = json.loads(Path(sys.argv[1]).read_text())
        target = tune(job)
    except Exception as error:  # the parent reads this line; the traceback goes to stderr
        import traceback

        traceback.print_exc()
        emit(stage="failed", message=f"{type(error).__name__}: {error}")
        sys.exit(1)
    import resource

    emit(stage="done", float_model=str(target),
         peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))


if __name__ == "__main__":
    main()
