#!/usr/bin/env bash
# Create/update model-convert/.venv from the pinned lock file and run the pytest suite.
# Usage: model-convert/scripts/test.sh [pytest args...]
# Env: PYTHON (default: python3.11 if present, else python3; must be 3.11),
#      SHARED_DIR (default: ../shared relative to the repository root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "$here/.." && pwd)"
cd "$here"

if [[ -z "${PYTHON:-}" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "model-convert needs Python 3.11 (got $("$PYTHON" --version 2>&1)); set PYTHON" >&2
  exit 2
fi

venv="$here/.venv"
stamp="$venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "creating $venv"
  "$PYTHON" -m venv "$venv"
fi
if [[ ! -f "$stamp" ]]; then
  echo "installing pinned dependencies into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.lock
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi

export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
exec "$venv/bin/python" -m pytest "$@"
