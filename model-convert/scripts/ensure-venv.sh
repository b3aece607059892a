#!/usr/bin/env bash
# Create or update model-convert/.venv from requirements.lock (pinned) and install the
# package in editable mode; prints the venv's python path on stdout. Re-installs only
# when pyproject.toml or requirements.lock changed.
# Env: PYTHON (default: python3.11 if present, else python3; must be 3.11).
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  echo "Usage: model-convert/scripts/ensure-venv.sh"
  echo "Creates or updates model-convert/.venv from requirements.lock and prints its python."
  echo "Env: PYTHON (interpreter for the venv, must be 3.11)."
  exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

if [[ -z "${PYTHON:-}" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "model-convert needs Python 3.11 (got $("$PYTHON" --version 2>&1)); set PYTHON" >&2
    exit 2
  fi
  echo "creating $venv" >&2
  "$PYTHON" -m venv "$venv"
fi
stamp="$venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "installing pinned dependencies into $venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.lock >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e . >&2
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
echo "$venv/bin/python"
