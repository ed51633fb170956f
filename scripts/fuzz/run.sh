#!/usr/bin/env bash
# npm run fuzz: installs the fuzzer if missing, makes sure the local servers run and the database is
# migrated (as npm start does), then fuzzes every API (scripts/fuzz/run.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/ensure-fuzzer.sh
bash scripts/local-services.sh start >/dev/null
npx tsx scripts/migrate.ts >/dev/null
exec npx tsx scripts/fuzz/run.ts "$@"
