#!/usr/bin/env bash
# The web UI's browser libraries (Preact, htm, hls.js), pinned by package-lock.json: `npm ci`
# from the npm registry (no install scripts run), then the few ES-module files the UI loads
# are copied into roost/web/vendor/, which the server serves. No build step, nothing at
# run time. Idempotent: skipped when vendor/ is newer than the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=roost/web/vendor
stamp="$VENDOR/.installed"
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ -f "$VENDOR/preact.mjs" ]; then
  echo "setup: web UI libraries present in $VENDOR"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's nodejs and npm (for the web UI's libraries)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
  else
    echo "setup: ERROR: npm is missing; install Debian's nodejs and npm, then run setup again" >&2
    exit 1
  fi
fi

echo "setup: npm ci (web UI libraries from package-lock.json)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

mkdir -p "$VENDOR"
# source in node_modules → name the import map in roost/web/index.html uses
copy() { install -m 644 "node_modules/$1" "$VENDOR/$2"; }
copy preact/dist/preact.mjs preact.mjs
copy preact/hooks/dist/hooks.mjs hooks.mjs
copy htm/dist/htm.mjs htm.mjs
copy hls.js/dist/hls.light.min.mjs hls.mjs
for pkg in preact htm hls.js; do
  install -m 644 "node_modules/$pkg/LICENSE"* "$VENDOR/LICENSE.$pkg" 2>/dev/null || true
done
touch "$stamp"
echo "setup: web UI libraries copied to $VENDOR"
