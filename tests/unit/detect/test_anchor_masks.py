"""Anchor masks read from each [yolo] layer of a Darknet cfg, stored with the model and
read back for decoding, on a small real cfg + weights pair converted by the converter."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from roost.detect.anchors import anchors_from_metadata, anchors_metadata
from roost.detect.darknet import convert

ANCHORS = "10,14, 23,27, 37,58, 81,82"


def write_net(tmp_path: Path, yolo_options: str, filters: int) -> tuple[Path, Path]:
    """One 1x1 convolution (3 -> `filters`) feeding one [yolo] layer with 1 class."""
    cfg = tmp_path / "net.cfg"
    cfg.write_text(f"[net]\nwidth=64\nheight=64\n\n[convolutional]\nfilters={filters}\nsize=1\nstride=1\n"
                   f"activation=linear\n\n[yolo]\nclasses=1\nanchors={ANCHORS}\n{yolo_options}\n")
    weights = tmp_path / "net.weights"
    header = np.array([0, 2, 0], np.int32).tobytes() + np.zeros(1, np.int64).tobytes()
    values = np.random.default_rng(0).normal(size=filters + filters * 3).astype(np.float32)
    weights.write_bytes(header + values.tobytes())
    return cfg, weights


@pytest.mark.parametrize(("yolo_options", "filters", "overrides", "mask", "anchors"), [
    ("mask = 1,2,3", 18, None, (1, 2, 3), ((23, 27), (37, 58), (81, 82))),
    ("mask = 0,1,2", 18, {0: (1, 2, 3)}, (1, 2, 3), ((23, 27), (37, 58), (81, 82))),  # corrected
    ("mask = 3", 6, None, (3,), ((81, 82),)),
    ("num = 4", 24, None, (0, 1, 2, 3), ((10, 14), (23, 27), (37, 58), (81, 82))),  # Darknet: no mask = all
])
def test_each_heads_anchors_come_from_its_mask(tmp_path: Path, yolo_options: str, filters: int,
                                               overrides: dict[int, tuple[int, ...]] | None,
                                               mask: tuple[int, ...], anchors: tuple[tuple[int, int], ...]) -> None:
    cfg, weights = write_net(tmp_path, yolo_options, filters)
    _, heads = convert(cfg, weights, 64, overrides)
    assert heads[0].mask == mask and heads[0].anchors == anchors
    assert (heads[0].mask != heads[0].cfg_mask) == (overrides is not None)


@pytest.mark.parametrize(("yolo_options", "filters", "overrides", "message"), [
    ("mask = 0,1,2", 12, None, "mask [0, 1, 2] means 3 x (5 + 1) = 18 channels, the layer before it gives 12"),
    ("mask = 0,1,2", 18, {0: (2, 3)}, "means 2 x (5 + 1) = 12 channels"),  # a correction that does not fit
    ("mask = 2,5,7", 18, None, "mask [2, 5, 7] does not index its 4 anchors"),
    ("mask = 0,1,2\nscale_x_y = 1.05", 18, None, "scale_x_y=1.05 is not supported"),
    ("mask = 0,1,2", 18, {1: (1, 2, 3)}, "mask override for yolo head(s) [1]: the cfg has 1 [yolo] layers"),
])
def test_masks_that_cannot_be_right_are_refused(tmp_path: Path, yolo_options: str, filters: int,
                                                overrides: dict[int, tuple[int, ...]] | None, message: str) -> None:
    cfg, weights = write_net(tmp_path, yolo_options, filters)
    with pytest.raises(ValueError, match=re.escape(message)):
        convert(cfg, weights, 64, overrides)


def test_metadata_round_trip_decodes_with_the_stored_masks() -> None:
    anchors = [(10.0, 14.0), (23.0, 27.0), (37.0, 58.0), (81.0, 82.0), (135.0, 169.0), (344.0, 319.0)]
    meta = anchors_metadata(anchors, [(3, 4, 5), (1, 2, 3)], "head 1: corrected")
    assert anchors_from_metadata(meta) == [anchors[3:6], anchors[1:4]]
    # a model converted before masks were stored still loads from its per-head list
    old = {"roost.yolo_heads": meta["roost.yolo_heads"]}
    assert anchors_from_metadata(old) == [anchors[3:6], anchors[1:4]]
    assert anchors_from_metadata({}) == []
