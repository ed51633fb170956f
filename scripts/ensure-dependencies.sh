#!/usr/bin/env bash
# Installs what Haul needs on a fresh Debian machine, and nothing when it is already there:
# npm packages (when package-lock.json changed since the last install) and the Debian tools below.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "Haul needs Node.js 20 or newer on PATH (https://nodejs.org)." >&2
  exit 1
fi

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "==> npm ci (installing npm packages)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The AWS CLI: operators inspect local executions with it, and the end-to-end tests do the same.
if ! aws --version >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Haul needs the AWS CLI (Debian: apt-get install awscli) for its end-to-end tests." >&2
    exit 1
  fi
  echo "==> apt-get install awscli"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends awscli >/dev/null
fi

# Chromium, from Debian's package: the web app's browser tests drive it with playwright-core
# (playwright cannot download its own browsers here).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Haul's browser tests need Chromium at /usr/bin/chromium (Debian: apt-get install chromium)." >&2
    exit 1
  fi
  echo "==> apt-get install chromium (for the web app's browser tests)"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
