#!/usr/bin/env bash
# Runs the classifier on an embedded local Flink (web UI on http://localhost:8081, or the next
# free port up to 8090: the log says which) over a directory of images. No cloud needed.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/java-env.sh disable=SC1091
source "$script_dir/lib/java-env.sh"

usage() {
  cat <<USAGE
Usage: scripts/run-local.sh [--input-dir DIR] [--output-dir OUT] [--once] [JOB FLAGS...]

Classifies every image in DIR with MobileNetV2 (ONNX Runtime) on a local Flink with its web UI
on http://localhost:8081 (the first free port of --web-ui-port, 8081-8090; the log line
"Flink web UI: http://localhost:PORT/" names it), printing one line per image and writing JSON Lines to
OUT/predictions/ (rows) and OUT/dead-letter/ (inputs that could not be classified).
Without --once it keeps watching DIR: drop more images in and they are classified too (Ctrl-C stops).

  --input-dir DIR   images to classify (default: samples/, created from \$SHARED_DIR/images/photos)
  --output-dir OUT  where results go (default: out/); a local path: this embedded Flink has no
                    gs:// file system and refuses one at start
  --once            classify what is there, exit 0 when every row is written
  --backfill gs://BUCKET[/PREFIX]|DIR
                    classify what is already in a bucket (beside --subscription, or alone:
                    exits when done), or in DIR (the same as --input-dir DIR --once)
  --parallelism N   parallel classifiers (default: number of cores)
  --help            this text, then every job flag

Environment: SHARED_DIR (default: ../shared next to the repository) holds the default model,
labels and sample photos.
USAGE
}

input_dir=""
backfill=0
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; help=1; shift ;;
    --input-dir) input_dir="${2:?--input-dir needs a directory}"; shift 2 ;;
    --input-dir=*) input_dir="${1#*=}"; shift ;;
    --backfill|--backfill=*) backfill=1; args+=("$1"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done

cd "$repo_root"
export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"

if [[ "${help:-0}" == 1 ]]; then
  ensure_job_built
  echo
  echo "Job flags:"
  exec java "${java_opts[@]}" -cp "$job_classpath" io.imageclassifier.ImageClassifierJob --help
fi

if [[ "$backfill" == 1 && -z "$input_dir" ]]; then
  # --backfill names what to classify (a bucket, or a directory in place of --input-dir).
  ensure_job_built
  echo "==> Backfill: classifying what is already there (model and labels from $SHARED_DIR)"
  exec java "${java_opts[@]}" -Xmx2g -cp "$job_classpath" io.imageclassifier.ImageClassifierJob "${args[@]}"
fi

if [[ -z "$input_dir" ]]; then
  input_dir="$repo_root/samples"
  if [[ ! -d "$input_dir" ]]; then
    photos="$SHARED_DIR/images/photos"
    if [[ ! -d "$photos" ]]; then
      echo "error: no --input-dir given and no sample photos at $photos (set SHARED_DIR)" >&2
      exit 2
    fi
    echo "==> Seeding $input_dir from $photos"
    mkdir -p "$input_dir"
    cp "$photos"/* "$input_dir"/
  fi
fi

ensure_job_built
echo "==> Classifying images in $input_dir (model and labels from $SHARED_DIR)"
exec java "${java_opts[@]}" -Xmx2g -cp "$job_classpath" io.imageclassifier.ImageClassifierJob \
  --input-dir "$input_dir" "${args[@]}"
