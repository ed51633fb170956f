#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, starts the real servers the
# tests use (MariaDB primary + replica, Redis, OpenSearch), then runs vitest. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
export SST_TELEMETRY_DISABLED=1

bash scripts/ensure-dependencies.sh
bash scripts/ensure-fuzzer.sh
bash scripts/local-services.sh start
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p packages/web/tsconfig.json
# The browser tests drive the built app: build it when its sources changed.
bash scripts/build-web.sh
npx vitest run "$@"
