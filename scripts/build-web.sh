#!/usr/bin/env bash
# Builds the web app (packages/web/dist) when a source is newer than its last build, so a restart or
# a test run stays fast. The local cloud serves that build; the browser tests drive it.
# A failed build exits non-zero; callers decide whether that stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

web=packages/web
if [ ! -f "$web/dist/index.html" ] ||
  [ -n "$(find "$web/src" "$web/public" "$web/index.html" "$web/vite.config.ts" "$web/package.json" -newer "$web/dist/index.html" -print -quit 2>/dev/null)" ]; then
  echo "==> npm run build -w @haul/web (the web app's sources changed)"
  npm run build -w @haul/web --silent -- --logLevel error
fi
