"""YOLO anchors as stored with a converted Darknet model, and read back for decoding.

A Darknet `[yolo]` layer lists every anchor of the network (`anchors = w,h, w,h, ...`, in
input pixels) and picks its own with `mask` (indices into that list). A head decoded with
the wrong anchors still finds objects, but sizes them by the wrong prior: YOLOv3-tiny's
second head read with `0,1,2` instead of `1,2,3` makes people about half their height.
The converter therefore stores the full list *and* each head's mask (plus where the mask
came from), and the detector derives each head's anchors from them, so a model file says
exactly how it is decoded.

Metadata keys (ONNX `metadata_props`, JSON values):

- `roost.yolo_anchors`: `[[w, h], ...]` every anchor of the network;
- `roost.yolo_masks`: `[[i, ...], ...]` one mask per output head, in output order;
- `roost.yolo_mask_source`: text, `"cfg"` or why a mask differs from the cfg;
- `roost.yolo_heads`: `[[[w, h], ...], ...]` the masked anchors per head (what models
  converted before masks were stored carry; still written, and still read when the two
  keys above are missing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

ANCHORS_METADATA = "roost.yolo_anchors"
MASKS_METADATA = "roost.yolo_masks"
MASK_SOURCE_METADATA = "roost.yolo_mask_source"
YOLO_HEADS_METADATA = "roost.yolo_heads"

Anchor = tuple[float, float]


def masked_anchors(anchors: Sequence[Anchor], masks: Sequence[Sequence[int]]) -> list[list[Anchor]]:
    """Each head's anchors: `anchors[i]` for `i` in its mask.

    >>> masked_anchors([(10, 14), (23, 27), (37, 58), (81, 82)], [[3], [1, 2]])
    [[(81, 82)], [(23, 27), (37, 58)]]
    """
    heads = []
    for head, mask in enumerate(masks):
        bad = [i for i in mask if not 0 <= i < len(anchors)]
        if bad or not mask:
            raise ValueError(f"yolo head {head}: mask {list(mask)} does not index the {len(anchors)} anchors")
        heads.append([anchors[i] for i in mask])
    return heads


def anchors_metadata(anchors: Sequence[Anchor], masks: Sequence[Sequence[int]], source: str) -> dict[str, str]:
    """The metadata a converted Darknet model carries (see the module docstring)."""
    return {ANCHORS_METADATA: json.dumps([list(a) for a in anchors]),
            MASKS_METADATA: json.dumps([list(m) for m in masks]),
            MASK_SOURCE_METADATA: source,
            YOLO_HEADS_METADATA: json.dumps([[list(a) for a in head] for head in masked_anchors(anchors, masks)])}


def anchors_from_metadata(meta: Mapping[str, str]) -> list[list[Anchor]]:
    """Each head's anchors from a model's metadata: from anchors + masks when stored,
    else the older per-head list; `[]` when the model carries neither.

    >>> anchors_from_metadata(anchors_metadata([(10, 14), (23, 27)], [[1], [0, 1]], "cfg"))
    [[(23.0, 27.0)], [(10.0, 14.0), (23.0, 27.0)]]
    """
    if ANCHORS_METADATA in meta and MASKS_METADATA in meta:
        anchors = [(float(w), float(h)) for w, h in json.loads(meta[ANCHORS_METADATA])]
        masks = [[int(i) for i in mask] for mask in json.loads(meta[MASKS_METADATA])]
        return masked_anchors(anchors, masks)
    heads = json.loads(meta.get(YOLO_HEADS_METADATA, "[]"))
    return [[(float(w), float(h)) for w, h in head] for head in heads]
