#!/usr/bin/env bash
# The one command that starts Haul's local cloud in the foreground: installs what is missing,
# starts MariaDB (primary + replica), Redis and OpenSearch, migrates, seeds and applies the index
# families, builds the web app when its sources changed, then runs every local service.
# Ctrl-C stops it; servers this command started are stopped too.
# Options go to the local cloud: --fresh, --no-demo, --push-period <s>, --firehose-interval <s> (npm start -- --help).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-dependencies.sh

# The web app the local static site serves, rebuilt only when its sources changed.
# A broken build must not keep the APIs down: the site serves the previous build, or says it has none.
bash scripts/build-web.sh || echo "The web app did not build; the local cloud starts without the new build." >&2

services_were_running=0
bash scripts/local-services.sh status --quiet >/dev/null 2>&1 && services_were_running=1
bash scripts/local-services.sh start
npx tsx scripts/migrate.ts

cleanup() {
  if [ "$services_were_running" = 0 ]; then bash scripts/local-services.sh stop; fi
}
trap cleanup EXIT
# Ctrl-C reaches the local cloud directly (same process group); this shell outlives it to clean up.
trap ':' INT
node --import tsx packages/local/src/main.ts "$@"
