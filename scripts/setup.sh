#!/usr/bin/env bash
# Set up Roost on a bare Debian/Ubuntu machine: system packages, a virtualenv with the
# pinned dependencies, and the models that are converted once at setup (no hub downloads).
# Safe to run again: every step checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

# 1. Debian packages: the MQTT broker, PostgreSQL and Chromium for the tests, ffmpeg/ffprobe,
#    and opencv-doc for the demo camera's footage (vtest.avi); GStreamer's RTSP server with
#    the system Python's bindings runs the restream (roost/restream, DESIGN.md "Restream").
APT_PACKAGES=(mosquitto postgresql chromium opencv-doc ffmpeg
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: WARNING: missing Debian packages (${missing[*]}); run as root or install them" >&2
  fi
else
  echo "setup: Debian packages present: ${APT_PACKAGES[*]}"
fi

# 2. Virtualenv with the package and its pinned dependencies.
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
stamp="$VENV/.roost-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing roost and its dependencies into $VENV"
  "$VENV/bin/pip" install -q -e ".[test]"
  touch "$stamp"
fi

# 3. Models made once at setup (each script is idempotent and prints what it does).
for step in scripts/prepare-*.sh; do
  [ -e "$step" ] || continue
  VENV="$VENV" bash "$step"
done
echo "setup: done"
