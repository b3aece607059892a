#!/usr/bin/env bash
# The whole cloud path on one machine: Pub/Sub emulator + fake-gcs-server (which publishes
# OBJECT_FINALIZE notifications like GCS does), a bucket, a topic and subscription, the sample
# photos uploaded, and the job reading the subscription and fetching from the emulated bucket.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/java-env.sh disable=SC1091
source "$script_dir/lib/java-env.sh"

usage() {
  cat <<USAGE
Usage: scripts/run-emulated.sh [--images DIR] [--output-dir OUT] [--timeout SECONDS] [JOB FLAGS...]

Starts the Pub/Sub emulator and fake-gcs-server on free loopback ports, creates project "demo",
bucket "photos", topic "gcs-notifications" and subscription "classifier" (fake-gcs-server publishes
a JSON_API_V1 OBJECT_FINALIZE notification per upload to that topic), uploads the images of DIR,
runs the job against them (--subscription, --pubsub-endpoint, --gcs-endpoint), waits until one
prediction row per image is written under OUT/predictions/, prints them, and stops everything.

  --images DIR      images to upload (default: \$SHARED_DIR/images/photos)
  --output-dir OUT  job output (default: out-emulated/, emptied first)
  --timeout S       give up after S seconds (default: 300)
  --help            this text

Needs: the Google Cloud CLI's pubsub emulator, and fake-gcs-server (scripts/install-emulators.sh
installs it; this script runs it first). Logs: OUT/emulators/*.log and OUT/job.log.
USAGE
}

images=""
out=""
timeout_s=300
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --images) images="${2:?--images needs a directory}"; shift 2 ;;
    --output-dir) out="${2:?--output-dir needs a directory}"; shift 2 ;;
    --timeout) timeout_s="${2:?--timeout needs seconds}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

cd "$repo_root"
export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"
images="${images:-$SHARED_DIR/images/photos}"
out="${out:-$repo_root/out-emulated}"
[[ -d "$images" ]] || { echo "error: no images at $images" >&2; exit 2; }

echo "==> Installing/checking emulators"
"$script_dir/install-emulators.sh"
fake_gcs="${FAKE_GCS_SERVER_BIN:-${EMULATORS_HOME:-$HOME/.cache/image-classifier/emulators}/bin/fake-gcs-server}"
pubsub_emulator_command

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local port="$1" what="$2"
  for _ in $(seq 1 300); do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "error: $what did not start on port $port" >&2
  return 1
}

rm -rf "$out"
mkdir -p "$out/emulators"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

pubsub_port="$(free_port)"
echo "==> Pub/Sub emulator on 127.0.0.1:$pubsub_port"
"${pubsub_emulator_cmd[@]}" --host=127.0.0.1 --port="$pubsub_port" >"$out/emulators/pubsub.log" 2>&1 &
pids+=("$!")
wait_port "$pubsub_port" "the Pub/Sub emulator"
ps_api="http://127.0.0.1:$pubsub_port/v1/projects/demo"
curl -fsS -X PUT "$ps_api/topics/gcs-notifications" >/dev/null
curl -fsS -X PUT -H 'Content-Type: application/json' \
  -d '{"topic":"projects/demo/topics/gcs-notifications","ackDeadlineSeconds":60}' \
  "$ps_api/subscriptions/classifier" >/dev/null
echo "    topic projects/demo/topics/gcs-notifications, subscription projects/demo/subscriptions/classifier"

gcs_port="$(free_port)"
echo "==> fake-gcs-server on http://127.0.0.1:$gcs_port (notifications -> gcs-notifications)"
PUBSUB_EMULATOR_HOST="127.0.0.1:$pubsub_port" "$fake_gcs" -scheme http -host 127.0.0.1 -port "$gcs_port" \
  -external-url "http://127.0.0.1:$gcs_port" -backend memory -event.pubsub-project-id demo \
  -event.pubsub-topic gcs-notifications -event.list finalize >"$out/emulators/gcs.log" 2>&1 &
pids+=("$!")
wait_port "$gcs_port" "fake-gcs-server"
gcs_api="http://127.0.0.1:$gcs_port"
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"name":"photos"}' \
  "$gcs_api/storage/v1/b?project=demo" >/dev/null

echo "==> Uploading $images to gs://photos/"
count=0
for f in "$images"/*; do
  [[ -f "$f" ]] || continue
  name="$(basename "$f")"
  case "${name,,}" in
    *.jpg | *.jpeg) type=image/jpeg ;;
    *.png) type=image/png ;;
    *.webp) type=image/webp ;;
    *.gif) type=image/gif ;;
    *.bmp) type=image/bmp ;;
    *) type=application/octet-stream ;;
  esac
  encoded="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$name")"
  curl -fsS -X POST -H "Content-Type: $type" --data-binary "@$f" \
    "$gcs_api/upload/storage/v1/b/photos/o?uploadType=media&name=$encoded" >/dev/null
  if [[ "$type" == image/* ]]; then count=$((count + 1)); fi
done
echo "    $count images uploaded"

ensure_job_built
echo "==> Running the job (log: $out/job.log)"
java "${java_opts[@]}" -Xmx2g -cp "$job_classpath" io.imageclassifier.ImageClassifierJob \
  --project-id demo --subscription classifier \
  --pubsub-endpoint "127.0.0.1:$pubsub_port" --gcs-endpoint "$gcs_api" \
  --output-dir "$out" --no-console "${args[@]}" >"$out/job.log" 2>&1 &
pids+=("$!")
job_pid="$!"

rows() { cat "$out"/predictions/*/[!.]*.jsonl 2>/dev/null | wc -l; }
deadline=$((SECONDS + timeout_s))
while [[ "$(rows)" -lt "$count" ]]; do
  if ! kill -0 "$job_pid" 2>/dev/null; then
    echo "error: the job exited; the end of its log:" >&2
    tail -n 40 "$out/job.log" >&2
    exit 1
  fi
  if [[ $SECONDS -gt $deadline ]]; then
    echo "error: only $(rows) of $count prediction rows after ${timeout_s}s (see $out/job.log)" >&2
    exit 1
  fi
  sleep 1
done

echo "==> Predictions ($(rows) rows in $out/predictions/)"
cat "$out"/predictions/*/[!.]*.jsonl | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print("gs://%s/%s  %s  %.3f" % (r["bucket"], r["name"], r["label"], r["score"]))
'
dead="$({ find "$out/dead-letter" -type f -name '*.jsonl' ! -name '.*' -exec cat {} + 2>/dev/null || true; } | wc -l)"
echo "==> Dead letters: $dead (in $out/dead-letter/)"
