#!/usr/bin/env bash
# Create/update model-convert/.venv (pinned, see ensure-venv.sh) and run the pytest suite.
# Usage: model-convert/scripts/test.sh [pytest args...]
# Env: PYTHON (interpreter for the venv, must be 3.11),
#      SHARED_DIR (default: ../shared relative to the repository root).
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  echo "Usage: model-convert/scripts/test.sh [pytest args...]"
  echo "Creates/updates model-convert/.venv (pinned) and runs the pytest suite."
  echo "Env: PYTHON (must be 3.11), SHARED_DIR (default: ../shared next to the repository)."
  exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "$here/.." && pwd)"
python="$("$here/scripts/ensure-venv.sh")"

export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
cd "$here"
exec "$python" -m pytest "$@"
