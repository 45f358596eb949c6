#!/usr/bin/env bash
# Set up Roost on a bare Debian/Ubuntu machine: system packages, a virtualenv with the
# pinned dependencies, and what is made once at setup (models, demo footage; no hub downloads).
# Safe to run again: every step checks what is already there.
#
#   scripts/setup.sh           what running needs (`make run`)
#   scripts/setup.sh --test    that, plus what only the tests need (`make test`)
#
# Adding a step: runtime Debian packages go in APT_PACKAGES, test-only ones in
# TEST_APT_PACKAGES; Python packages in pyproject.toml (dependencies, or the `test`
# extra); a step that makes something once goes in its own idempotent
# scripts/prepare-<name>.sh (run in name order, with $VENV and $ROOST_SETUP_MODE set);
# a step that only the tests need checks `[ "$ROOST_SETUP_MODE" = test ]`.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=run
for arg in "$@"; do
  case "$arg" in
    --test) MODE=test ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup: unknown argument $arg (use --test or nothing)" >&2; exit 2 ;;
  esac
done
export ROOST_SETUP_MODE=$MODE

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

# 1. Debian packages. Running: ffmpeg/ffprobe, and opencv-doc for the demo camera's footage
#    (vtest.avi). Tests only: the MQTT broker, PostgreSQL and Chromium, and darknet, whose
#    sample photographs are in the detection ground truth and the box-extent test.
# GStreamer's RTSP server with the system Python's bindings runs the restream
# (roost/restream, DESIGN.md "Restream").
APT_PACKAGES=(ffmpeg opencv-doc
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad)
TEST_APT_PACKAGES=(mosquitto postgresql chromium darknet)
wanted=("${APT_PACKAGES[@]}")
[ "$MODE" = test ] && wanted+=("${TEST_APT_PACKAGES[@]}")
missing=()
for pkg in "${wanted[@]}"; do
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
  echo "setup: Debian packages present: ${wanted[*]}"
fi

# 2. Virtualenv with the package and its pinned dependencies (+ the test extra with --test).
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
install_stamped() {  # install_stamped STAMP SPEC: pip install SPEC unless STAMP is newer than pyproject.toml
  local stamp="$VENV/$1" spec=$2
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing $spec into $VENV"
    "$VENV/bin/pip" install -q -e "$spec"
    touch "$stamp"
  fi
}
install_stamped .roost-installed .
[ "$MODE" = test ] && install_stamped .roost-installed-test ".[test]"

# 3. Things made once at setup (each script is idempotent and prints what it does).
for step in scripts/prepare-*.sh; do
  [ -e "$step" ] || continue
  VENV="$VENV" bash "$step"
done
echo "setup: done ($MODE)"
