#!/usr/bin/env bash
# Replays dead letters through the running job: republishes the Cloud Storage notification of each
# selected dead-lettered object (with a replay id), so the job classifies it once more, once.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/java-env.sh disable=SC1091
source "$script_dir/lib/java-env.sh"

usage() {
  cat <<USAGE
Usage: scripts/replay-dead-letters.sh --dead-letters PATH --topic projects/P/topics/T [--reasons R1,R2]
                                      [--dry-run] [--pubsub-endpoint HOST:PORT] [--gcs-endpoint URL]

Reads the job's dead-letter files (PATH: a file or a directory such as <output-dir>/dead-letter,
local or gs://), selects the dead letters marked "retryable": true (a Cloud Storage outage that
outlasted --fetch-retry-budget), or those with the reasons given by --reasons, and for each
object version that still exists publishes its OBJECT_FINALIZE notification with a "replayId"
attribute to TOPIC, the topic the job's subscription reads. The running job lets each replay
through dedupe once: one row per object; replaying the same files again adds no rows.

  --dead-letters PATH   dead-letter file or directory; gs:// paths are copied with gcloud first
  --topic TOPIC         projects/P/topics/T of the bucket's notifications
  --reasons R1,R2       replay these reasons instead of the retryable ones (e.g. fetch_error)
  --dry-run             list what would be replayed, publish nothing
  --pubsub-endpoint, --gcs-endpoint   emulators (default: \$PUBSUB_EMULATOR_HOST, \$STORAGE_EMULATOR_HOST)
  --help                this text

Credentials: Application Default Credentials, with pubsub.topics.publish on TOPIC and
storage.objects.get on the bucket. Local-mode dead letters are not replayed: copy the files into
the input directory again.
USAGE
}

args=()
dead_letters=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --dead-letters) dead_letters="${2:?--dead-letters needs a path}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -n "$dead_letters" ]] || { usage >&2; echo "error: --dead-letters is required" >&2; exit 2; }

if [[ "$dead_letters" == gs://* ]]; then
  copy="$(mktemp -d)"
  trap 'rm -rf "$copy"' EXIT
  echo "==> Copying $dead_letters to $copy" >&2
  gcloud storage cp --recursive "$dead_letters" "$copy/" >&2
  dead_letters="$copy"
fi

ensure_job_built
echo "==> Replaying dead letters from $dead_letters" >&2
java "${java_opts[@]}" -cp "$job_classpath" io.imageclassifier.replay.ReplayDeadLetters \
  --dead-letters "$dead_letters" "${args[@]}"
