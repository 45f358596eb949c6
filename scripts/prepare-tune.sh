#!/usr/bin/env bash
# The tune virtualenv ($ROOST_TUNE_VENV, default .cache/tune-venv): torch (CPU build), numpy
# and onnx, for tuning the detector on verified annotation frames (roost/tune/train_torch.py,
# run as a child process). torch lives here, never in the server's $VENV: the server cannot
# import it even by accident, and its dependencies never meet Roost's pins.
# Idempotent: when the venv imports what the tuner needs, it only says so.
set -euo pipefail
cd "$(dirname "$0")/.."

TUNE_VENV=${ROOST_TUNE_VENV:-.cache/tune-venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
TORCH_VERSION=2.13.0

if [ -x "$TUNE_VENV/bin/python" ] && "$TUNE_VENV/bin/python" -c "import torch, numpy, onnx" 2>/dev/null; then
  echo "tune: virtualenv present: $TUNE_VENV"
  exit 0
fi
if [ ! -x "$TUNE_VENV/bin/python" ]; then
  echo "tune: creating virtualenv $TUNE_VENV (torch is used for tuning the detector only)"
  "$PYTHON" -m venv "$TUNE_VENV"
fi
echo "tune: installing torch==$TORCH_VERSION (CPU build), numpy and onnx into $TUNE_VENV"
# torch first and alone, so nothing later can pull in a different torch.
"$TUNE_VENV/bin/pip" install -q "torch==$TORCH_VERSION"
"$TUNE_VENV/bin/pip" install -q numpy==2.4.6 onnx==1.23.2
"$TUNE_VENV/bin/python" -c "import torch, numpy, onnx; print('tune: ready: torch', torch.__version__)"
