#!/usr/bin/env bash
# The demo camera's footage, made once: Debian's vtest.avi (MS-MPEG4) transcoded to H.264
# into <data dir>/demo/, so the built-in demo config can record it with stream copy.
# Idempotent: when the file is there it only says so.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
echo "prepare-demo: $("$VENV/bin/python" -m roost.config.demo)"
