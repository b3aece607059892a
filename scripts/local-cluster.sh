#!/usr/bin/env bash
# A standalone Flink 2.3 session cluster on this machine, in separate processes, with the cloud
# path's outside world emulated by processes of its own: try the cluster mode by hand.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/java-env.sh
source "$script_dir/lib/java-env.sh"
# shellcheck source=lib/cluster.sh
source "$script_dir/lib/cluster.sh"

usage() {
  cat <<USAGE
Usage: scripts/local-cluster.sh start|stop|status [options]

start   builds what is missing (job jar, Flink's lib/ from module flink-cluster, test classes for
        the BigQuery fake), then starts on 127.0.0.1, each as its own process:
          ZooKeeper 3.9 (Flink HA), the Pub/Sub emulator (topic gcs-notifications, subscription
          classifier), fake-gcs-server (bucket photos; it publishes OBJECT_FINALIZE notifications),
          the BigQuery fakes (Storage Write gRPC + REST), one JobManager
          (StandaloneSessionClusterEntrypoint) and TaskManagers (TaskManagerRunner), configured
          by a generated conf/config.yaml: RocksDB incremental checkpoints, exponential-delay
          restarts, ZooKeeper HA, web UI/REST, ONNX Runtime parent-first from lib/.
        With --submit it also submits the job through the REST API (scripts/submit-rest.sh) in
        cloud mode against those emulators; otherwise it prints the command that does.
stop    stops every process of the cluster (TaskManagers, JobManagers, then the emulators).
status  lists the processes, the cluster's slots and its jobs.

  --dir DIR            state directory: config, logs, pids, checkpoints, output (default: out-cluster/)
  --rest-port PORT     JobManager REST and web UI port (default: 8081)
  --task-managers N    TaskManagers to start (default: 2)
  --slots N            slots per TaskManager (default: 2)
  --submit             submit the job after start
  --parallelism N      the submitted job's parallelism (default: 2)
  -h, --help           this text

Upload an image so the job classifies it (fake-gcs-server publishes the notification):
  curl -X POST -H 'Content-Type: image/jpeg' --data-binary @photo.jpg \\
    "http://127.0.0.1:\$GCS_PORT/upload/storage/v1/b/photos/o?uploadType=media&name=photo.jpg"
Rows: DIR/data/out/predictions/ (JSON Lines) and the BigQuery fake's
  curl http://127.0.0.1:\$BQ_CONTROL_PORT/committed
(the ports are in DIR/cluster.env). Logs: DIR/log/. Needs: Java 17, Maven, python3, curl, the
Google Cloud CLI's Pub/Sub emulator; scripts/install-emulators.sh installs fake-gcs-server.
USAGE
}

command=""
rest_port=8081
task_managers=2
slots=2
submit=0
parallelism=2
CLUSTER_DIR="$repo_root/out-cluster"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    start | stop | status) command=$1; shift ;;
    --dir) CLUSTER_DIR="${2:?--dir needs a directory}"; shift 2 ;;
    --rest-port) rest_port="${2:?--rest-port needs a port}"; shift 2 ;;
    --task-managers) task_managers="${2:?--task-managers needs a number}"; shift 2 ;;
    --slots) slots="${2:?--slots needs a number}"; shift 2 ;;
    --submit) submit=1; shift ;;
    --parallelism) parallelism="${2:?--parallelism needs a number}"; shift 2 ;;
    *) echo "error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$command" ]] || { usage >&2; exit 2; }
mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR="$(cd "$CLUSTER_DIR" && pwd)"
export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"
SHARED_DIR="$(cd "$SHARED_DIR" && pwd)"

case "$command" in
  start)
    if [[ -d "$CLUSTER_DIR/pids" && -n "$(cluster_procs)" ]]; then
      echo "error: a cluster is already running from $CLUSTER_DIR (scripts/local-cluster.sh stop)" >&2
      exit 1
    fi
    if (echo >"/dev/tcp/127.0.0.1/$rest_port") 2>/dev/null; then
      echo "error: port $rest_port is in use (--rest-port)" >&2
      exit 1
    fi
    cluster_build
    rm -rf "${CLUSTER_DIR:?}"/{conf,pids,log,data,cluster.env}
    cluster_init "$rest_port" "$slots"
    # A failed start leaves nothing running.
    trap 'echo "error: start failed; stopping what was started (logs: $CLUSTER_DIR/log/)" >&2; stop_cluster' ERR
    start_zookeeper
    start_pubsub
    start_gcs
    start_bigquery
    start_jobmanager jm-1
    for i in $(seq 1 "$task_managers"); do start_taskmanager "tm-$i"; done
    wait_slots $((task_managers * slots))
    trap - ERR
    clog "Cluster up: web UI $(rest_url), $((task_managers * slots)) slots; state in $CLUSTER_DIR"
    if [[ $submit == 1 ]]; then
      job=$(submit_job "$parallelism")
      [[ -n "$job" ]] || { echo "error: submission failed (see $CLUSTER_DIR/log/submit.log)" >&2; exit 1; }
      clog "Job $job submitted: $(rest_url)/#/job/running/$job/overview"
    else
      mapfile -t args < <(cluster_job_args)
      echo "Submit the job through REST:"
      printf '  scripts/submit-rest.sh --jobmanager %s --parallelism %s --' "$(rest_url)" "$parallelism"
      printf ' %q' "${args[@]}"
      echo
    fi
    echo "Ports: $CLUSTER_DIR/cluster.env; stop: scripts/local-cluster.sh stop --dir $CLUSTER_DIR"
    ;;
  stop)
    if [[ ! -d "$CLUSTER_DIR/pids" ]]; then
      echo "no cluster at $CLUSTER_DIR"
      exit 0
    fi
    for name in $(cluster_procs); do clog "stopping $name (pid $(proc_pid "$name"))"; done
    stop_cluster
    clog "stopped"
    ;;
  status)
    cluster_load_env
    for name in $(cluster_procs); do
      if proc_alive "$name"; then state=running; else state=dead; fi
      printf '%-10s pid %-8s %s\n' "$name" "$(proc_pid "$name")" "$state"
    done
    if overview=$(rest "$(rest_url)/overview" 2>/dev/null); then
      python3 -c '
import json, sys
o = json.loads(sys.argv[1])
print("JobManager %s: %d TaskManagers, %d slots (%d free), %d jobs running"
      % (sys.argv[2], o["taskmanagers"], o["slots-total"], o["slots-available"], o["jobs-running"]))' "$overview" "$(rest_url)"
      rest "$(rest_url)/jobs/overview" | python3 -c '
import json, sys
for j in json.load(sys.stdin)["jobs"]:
    print("  job %s %-10s %s" % (j["jid"], j["state"], j["name"]))'
    else
      echo "JobManager $(rest_url): not answering"
    fi
    ;;
esac
