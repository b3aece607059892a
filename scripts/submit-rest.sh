#!/usr/bin/env bash
# Submits the job jar to a running Flink cluster through the REST API the web UI uses:
# POST /jars/upload, then POST /jars/{id}/run.
set -euo pipefail

VARS=(JOBMANAGER JAR ENTRY_CLASS PARALLELISM SAVEPOINT_PATH)

usage() {
  cat <<'USAGE'
Usage: scripts/submit-rest.sh [--jobmanager URL] [--jar FILE] [--dry-run] [-- JOB_ARGS...]

Uploads the shaded job jar to a Flink cluster's REST endpoint (what "Submit New Job" in the web
UI does) and runs it with the job's flags after "--". Prints "jar id: ..." and "job id: ...".
Needs curl and python3 (for JSON).

  --jobmanager JOBMANAGER       REST base URL (default http://localhost:8081; for GKE first run
                                kubectl -n NAMESPACE port-forward svc/image-classifier-rest 8081)
  --jar JAR                     default flink-job/target/flink-job-0.1.0-SNAPSHOT.jar
  --entry-class ENTRY_CLASS     default io.imageclassifier.ImageClassifierJob (the jar's Main-Class)
  --parallelism PARALLELISM     job parallelism (default: the cluster's)
  --savepoint-path SAVEPOINT_PATH  start from this savepoint
  --dry-run                     print the requests, send none
  -h, --help                    this help

Example (local mode on a folder the cluster's TaskManagers can read):
  scripts/submit-rest.sh -- --input-dir /data/images --output-dir /data/out --once
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
parse_args "$@"
job_args=("${REST_ARGS[@]}")

: "${JOBMANAGER:=http://localhost:8081}"
: "${JAR:=$here/../flink-job/target/flink-job-0.1.0-SNAPSHOT.jar}"
: "${ENTRY_CLASS:=io.imageclassifier.ImageClassifierJob}"
JOBMANAGER=${JOBMANAGER%/}
if [[ $DRY_RUN != 1 && ! -f $JAR ]]; then
  die "jar not found: $JAR (build it: mvn -B -DskipTests package)"
fi

# The run request: {"entryClass":..., "programArgsList":[...], "parallelism":N, "savepointPath":...}
run_body=$(python3 - "$ENTRY_CLASS" "${PARALLELISM:-}" "${SAVEPOINT_PATH:-}" "${job_args[@]}" <<'PY'
import json, sys
entry, parallelism, savepoint, *args = sys.argv[1:]
body = {"entryClass": entry, "programArgsList": args}
if parallelism:
    body["parallelism"] = int(parallelism)
if savepoint:
    body["savepointPath"] = savepoint
print(json.dumps(body))
PY
)

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

log "uploading $JAR to $JOBMANAGER"
if [[ $DRY_RUN == 1 ]]; then
  show_cmd curl -sS --fail-with-body -X POST -H "Expect:" -F "jarfile=@$JAR;type=application/x-java-archive" \
    "$JOBMANAGER/jars/upload"
  show_cmd curl -sS --fail-with-body -X POST -H "Content-Type: application/json" -d "$run_body" \
    "$JOBMANAGER/jars/JAR_ID/run"
  exit 0
fi
upload=$(curl -sS --fail-with-body -X POST -H "Expect:" -F "jarfile=@$JAR;type=application/x-java-archive" \
  "$JOBMANAGER/jars/upload") || die "upload failed: $upload"
jar_path=$(json_field filename <<<"$upload")
[[ -n $jar_path ]] || die "upload failed: $upload"
jar_id=${jar_path##*/}
echo "jar id: $jar_id"

log "running $ENTRY_CLASS ${job_args[*]}"
result=$(curl -sS --fail-with-body -X POST -H "Content-Type: application/json" -d "$run_body" \
  "$JOBMANAGER/jars/$jar_id/run") || die "run failed: $result"
job_id=$(json_field jobid <<<"$result")
[[ -n $job_id ]] || die "run failed: $result"
echo "job id: $job_id"
echo "status: curl -s $JOBMANAGER/jobs/$job_id   web UI: $JOBMANAGER/#/job/running/$job_id/overview"
