#!/usr/bin/env bash
# End-to-end check of the README's first command: runs scripts/run-local.sh --once over the
# sample photos plus two bad files and checks that it wrote exactly one row per file.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/smoke-local.sh [--keep]

Copies \$SHARED_DIR/images/photos and two bad files into a temporary folder, runs
scripts/run-local.sh --once on it, and fails unless every file produced exactly one row
(prediction or dead letter). --keep leaves the temporary folder for inspection.
USAGE
}

keep=0
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --keep) keep=1 ;;
  "") ;;
  *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
esac

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"

work="$(mktemp -d)"
if [[ "$keep" == 0 ]]; then
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/in"
cp "$SHARED_DIR"/images/photos/* "$work/in/"
printf 'not an image\n' > "$work/in/notes.jpg"
: > "$work/in/empty.png"
expected=$(find "$work/in" -type f | wc -l)

echo "==> run-local.sh --once over $expected files in $work/in"
"$script_dir/run-local.sh" --input-dir "$work/in" --output-dir "$work/out" --once --parallelism 2

count_rows() { find "$work/out/$1" -type f -name '*.jsonl' ! -name '.*' -exec cat {} + 2>/dev/null | grep -c . || true; }
predictions=$(count_rows predictions)
dead=$(count_rows dead-letter)
echo "==> $predictions predictions + $dead dead letters for $expected files"
if [[ $((predictions + dead)) -ne "$expected" || "$dead" -ne 2 ]]; then
  echo "FAIL: expected $((expected - 2)) predictions and 2 dead letters" >&2
  exit 1
fi
echo "OK: exactly one row per file"
