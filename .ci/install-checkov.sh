#!/usr/bin/env bash
# Install checkov (the scanner behind `whimsy gate`) into its own venv, .tools/venvs/checkov.
# Its own venv because checkov pins an old `packaging` that conflicts with the project's.
# Idempotent: does nothing when the pinned version is already there. Needs PyPI only.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
VENV=.tools/venvs/checkov
PYTHON=${PYTHON:-python3}

if [ -x "$VENV/bin/checkov" ] && \
   [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null)" = "$CHECKOV_VERSION" ]; then
  exit 0
fi
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
"$VENV/bin/python" -c 'import importlib.metadata as m; print("checkov", m.version("checkov"), "in '"$VENV"'")'
