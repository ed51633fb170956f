#!/usr/bin/env bash
# Makes sure schemathesis (the API fuzzer, a test tool from PyPI) is installed in .haul/venv.
# Idempotent and fast when it is already there; quiet unless it has to install something.
set -euo pipefail
cd "$(dirname "$0")/.."

version="4.32.5"
venv=".haul/venv"

if [[ -x "$venv/bin/schemathesis" ]] && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$version')" 2>/dev/null; then
  exit 0
fi

if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
  echo "ensure-fuzzer: installing python3-venv" >&2
  if [[ $(id -u) -ne 0 ]]; then echo "ensure-fuzzer: run as root, or install python3-venv yourself" >&2; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi

echo "ensure-fuzzer: installing schemathesis $version into $venv" >&2
mkdir -p .haul
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
