#!/usr/bin/env bash
# The exactly-once promise on a real cluster under chaos: a standalone Flink cluster in separate
# processes (scripts/lib/cluster.sh), a producer uploading images for the whole run, TaskManagers
# killed with kill -9, the leading JobManager killed (ZooKeeper HA failover), the job stopped with
# a savepoint and restarted at another parallelism; then every upload must be in the JSON Lines
# sink and in the BigQuery fake's committed rows exactly once, and nothing left unacked.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/java-env.sh
source "$script_dir/lib/java-env.sh"
# shellcheck source=lib/cluster.sh
source "$script_dir/lib/cluster.sh"

usage() {
  cat <<USAGE
Usage: scripts/chaos-soak.sh [--duration DURATION | --short] [options]

Starts a cluster like scripts/local-cluster.sh (ZooKeeper HA, 1 JobManager, 2 TaskManagers with
2 slots, Pub/Sub emulator, fake-gcs-server, BigQuery fake, each a process), submits the job
through REST at parallelism 2 (JSON Lines + BigQuery exactly-once, checkpoints every 2 s), starts
a producer uploading copies of the dev images under unique names at a steady rate, and meanwhile:
  - every 20-60 s (seeded) kill -9 a random TaskManager running the job and start a new one;
  - at 30 % of the run kill -9 the leading JobManager and start a new one (HA recovery);
  - at 50 % stop the job with a savepoint and resubmit it from there at parallelism 3, at 75 %
    the same from 3 to 1.
Each event waits until the job runs again and new rows are committed (its recovery time). At the
end the producer stops, the rows drain, the job stops with a savepoint, and the (bucket, name,
generation) sets of both sinks are compared with the uploads. Prints RESULT lines; exits 1 on
any lost or duplicated row, unacked message, or missing chaos event.

  --duration D     length of the chaos phase: 30m (default), 90s, 1h
  --short          CI mode: a 150 s chaos phase with TaskManager kills every 20-30 s (at least 2),
                   1 JobManager failover and both rescales; about 5 minutes in all
  --rate N         uploads per second (default: 5; 3 with --short)
  --drain-timeout S  after the chaos, how long to wait for every row (default: 300; 900 for
                   the full soak): rows still missing then count as lost
  --seed N         seed of the kill schedule, victims and upload order (default: 42)
  --images DIR     images to upload (default: \$SHARED_DIR/images/imagenet-dev)
  --dir DIR        state, logs and results (default: out-soak/, emptied first)
  --keep           leave the cluster running at the end (stop it: scripts/local-cluster.sh stop --dir DIR)
  -h, --help       this text

Needs what scripts/local-cluster.sh needs. Results: DIR/result.txt (the RESULT lines),
DIR/events.tsv (each chaos event and its recovery), DIR/log/ (every process's log).
USAGE
}

duration=30m
short=0
rate=""
drain_s=""
seed=42
images=""
keep=0
CLUSTER_DIR="$repo_root/out-soak"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --duration) duration="${2:?--duration needs a value}"; shift 2 ;;
    --short) short=1; shift ;;
    --rate) rate="${2:?--rate needs a number}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    --drain-timeout) drain_s="${2:?--drain-timeout needs seconds}"; shift 2 ;;
    --images) images="${2:?--images needs a directory}"; shift 2 ;;
    --dir) CLUSTER_DIR="${2:?--dir needs a directory}"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

to_seconds() {
  local d=$1
  case "$d" in
    *h) echo $((${d%h} * 3600)) ;;
    *m) echo $((${d%m} * 60)) ;;
    *min) echo $((${d%min} * 60)) ;;
    *s) echo "${d%s}" ;;
    *[0-9]) echo "$d" ;;
    *) echo "error: not a duration: $d (e.g. 90s, 30m)" >&2; exit 2 ;;
  esac
}
if [[ $short == 1 ]]; then
  chaos_s=150 kill_min=20 kill_max=30
  rate=${rate:-3}
  drain_s=${drain_s:-300}
else
  chaos_s=$(to_seconds "$duration") kill_min=20 kill_max=60
fi
rate=${rate:-5}
drain_s=${drain_s:-900}
export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"
SHARED_DIR="$(cd "$SHARED_DIR" && pwd)"
images="${images:-$SHARED_DIR/images/imagenet-dev}"
[[ -d "$images" ]] || { echo "error: no images at $images" >&2; exit 2; }
RANDOM=$seed

mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR="$(cd "$CLUSTER_DIR" && pwd)"
if [[ -d "$CLUSTER_DIR/pids" && -n "$(cluster_procs)" ]]; then
  echo "error: a cluster is running from $CLUSTER_DIR (scripts/local-cluster.sh stop --dir $CLUSTER_DIR)" >&2
  exit 1
fi
rm -rf "${CLUSTER_DIR:?}"/{conf,pids,log,data,cluster.env,uploads.tsv,events.tsv,rss.tsv,committed.tsv,result.txt}

cluster_build
rest_port=$(free_port)
cluster_init "$rest_port" 2
producer_pid=""
# shellcheck disable=SC2317  # the EXIT trap runs it
finish() {
  local rc=$?
  if [[ -n "$producer_pid" ]]; then kill "$producer_pid" 2>/dev/null || true; fi
  if [[ $keep == 1 ]]; then
    clog "cluster left running (--keep): scripts/local-cluster.sh stop --dir $CLUSTER_DIR"
  else
    clog "stopping the cluster"
    stop_cluster
  fi
  exit "$rc"
}
trap finish EXIT

now_ms() { date +%s%3N; }
bq_committed() {
  rest "http://127.0.0.1:$BQ_CONTROL_PORT/stats" 2>/dev/null | sed -n 's/^committed_rows=//p' || true
}
# The epoch millis at which the job last entered RUNNING (0 if unknown).
running_since() {
  rest "$(rest_url)/jobs/$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["timestamps"].get("RUNNING", 0))' 2>/dev/null || echo 0
}
# VmHWM, the kernel's record of a process's peak resident set, in kB.
peak_rss_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null || echo 0; }

diagnose() {
  echo "---- job exceptions" >&2
  rest "$(rest_url)/jobs/$job/exceptions" 2>/dev/null | head -c 4000 >&2 || true
  echo >&2
  for name in $(cluster_procs); do
    case "$name" in jm-* | tm-*) echo "---- $name: last log lines" >&2; tail -n 15 "$CLUSTER_DIR/log/$name.flink.log" >&2 || true ;; esac
  done
}

t_start=0
offset_s() { echo $((($(now_ms) - t_start) / 1000)); }

# record_event KIND DETAIL T0_MS RECOVERY
record_event() {
  printf '%s\t%s\t%s\t%s\n' "$(((${3} - t_start) / 1000))" "$1" "$2" "$4" >>"$CLUSTER_DIR/events.tsv"
  clog "event $1 $2: recovery ${4}s"
}

# await_recovery T0_MS MAY_NOT_RESTART: waits until the job entered RUNNING after T0, runs every
# task, and BigQuery has committed rows since; prints the seconds from T0 to those rows, or "-"
# when MAY_NOT_RESTART=1 and the job kept running untouched (a TaskManager with no task of it).
await_recovery() {
  local t0=$1 may_not_restart=$2 deadline base now
  deadline=$((SECONDS + 300))
  while :; do
    job=$(running_job_id)
    if [[ -n "$job" ]] && [[ "$(running_since "$job")" -gt "$t0" ]] && job_fully_running "$job"; then
      break
    fi
    if [[ $may_not_restart == 1 && $(($(now_ms) - t0)) -gt 45000 && -n "$job" ]] && job_fully_running "$job"; then
      echo "-"
      return 0
    fi
    if [[ $SECONDS -gt $deadline ]]; then
      echo "error: the job did not run again within 300 s" >&2
      diagnose
      return 1
    fi
    sleep 0.5
  done
  base=$(bq_committed)
  while :; do
    now=$(bq_committed)
    if [[ -n "$now" && "$now" -gt "${base:-0}" ]]; then
      python3 -c 'import sys; print("%.1f" % ((int(sys.argv[1]) - int(sys.argv[2])) / 1000.0))' "$(now_ms)" "$t0"
      return 0
    fi
    if [[ $SECONDS -gt $deadline ]]; then
      echo "error: no new BigQuery rows within 300 s of the event" >&2
      diagnose
      return 1
    fi
    sleep 0.25
  done
}

tm_seq=0 jm_seq=0
declare -A tm_started_at_event
events_done=0
start_new_tm() {
  tm_seq=$((tm_seq + 1))
  start_taskmanager "tm-$tm_seq"
  tm_started_at_event["tm-$tm_seq"]=$events_done
}
record_rss() {
  local name=$1 pid
  pid=$(proc_pid "$name")
  printf '%s\t%s\t%s\n' "$name" "$(peak_rss_kb "$pid")" "$((events_done - ${tm_started_at_event[$name]:-0}))" >>"$CLUSTER_DIR/rss.tsv"
}
live_tms() {
  local name
  for name in $(cluster_procs); do
    case "$name" in tm-*) proc_alive "$name" && echo "$name" ;; esac
  done
}

start_zookeeper
start_pubsub
start_gcs
start_bigquery
jm_seq=1
start_jobmanager "jm-$jm_seq"
start_new_tm
start_new_tm
wait_slots 4
parallelism=2
job=$(submit_job "$parallelism" "" --checkpoint-interval 2s)
[[ -n "$job" ]] || { echo "error: submission failed (see $CLUSTER_DIR/log/submit.log)" >&2; exit 1; }
clog "job $job submitted at parallelism $parallelism"

t_start=$(now_ms)
clog "producer: $rate uploads/s of $images (seed $seed)"
python3 "$script_dir/lib/soak_producer.py" --gcs "http://127.0.0.1:$GCS_PORT" --images "$images" \
  --rate "$rate" --seed "$seed" --out "$CLUSTER_DIR/uploads.tsv" 2>"$CLUSTER_DIR/log/producer.log" &
producer_pid=$!
await_recovery 0 0 >/dev/null

# The schedule: TaskManager kills at seeded random intervals; the JobManager kill and the two
# rescales at fixed fractions of the run. Events run in order, each after the previous recovered.
schedule=()
t=0
while :; do
  t=$((t + kill_min + RANDOM % (kill_max - kill_min + 1)))
  [[ $t -lt $chaos_s ]] || break
  schedule+=("$t tm-kill")
done
schedule+=("$((chaos_s * 30 / 100)) jm-kill" "$((chaos_s * 50 / 100)) rescale-3" "$((chaos_s * 75 / 100)) rescale-1")
mapfile -t schedule < <(printf '%s\n' "${schedule[@]}" | sort -n -k1,1)
clog "chaos for ${chaos_s}s: ${#schedule[@]} events"

for entry in "${schedule[@]}"; do
  at=${entry%% *}
  kind=${entry#* }
  # Past the end of the chaos phase only the one-off events still run.
  if [[ $kind == tm-kill && $(offset_s) -ge $chaos_s ]]; then continue; fi
  while [[ $(offset_s) -lt $at ]]; do sleep 0.5; done
  case "$kind" in
    tm-kill)
      # A random TaskManager among those running the job's tasks (a kill of an idle one proves nothing).
      mapfile -t tms < <(comm -12 <(live_tms | sort) <(job_taskmanagers "$job"))
      [[ ${#tms[@]} -gt 0 ]] || mapfile -t tms < <(live_tms)
      victim=${tms[RANDOM % ${#tms[@]}]}
      record_rss "$victim"
      t0=$(now_ms)
      kill -KILL "$(proc_pid "$victim")"
      rm -f "$CLUSTER_DIR/pids/$victim"
      clog "kill -9 $victim at +$(offset_s)s"
      start_new_tm
      events_done=$((events_done + 1))
      rec=$(await_recovery "$t0" 1)
      record_event tm-kill "$victim" "$t0" "$rec"
      ;;
    jm-kill)
      victim="jm-$jm_seq"
      t0=$(now_ms)
      kill -KILL "$(proc_pid "$victim")"
      rm -f "$CLUSTER_DIR/pids/$victim"
      clog "kill -9 $victim (leader) at +$(offset_s)s"
      jm_seq=$((jm_seq + 1))
      start_jobmanager "jm-$jm_seq"
      events_done=$((events_done + 1))
      rec=$(await_recovery "$t0" 0)
      record_event jm-kill "$victim" "$t0" "$rec"
      ;;
    rescale-*)
      target=${kind#rescale-}
      t0=$(now_ms)
      clog "stop-with-savepoint of $job at +$(offset_s)s"
      savepoint=$(stop_with_savepoint "$job")
      clog "savepoint $savepoint; resubmitting at parallelism $target"
      job=$(submit_job "$target" "$savepoint" --checkpoint-interval 2s)
      [[ -n "$job" ]] || { echo "error: resubmission failed (see $CLUSTER_DIR/log/submit.log)" >&2; exit 1; }
      events_done=$((events_done + 1))
      rec=$(await_recovery "$t0" 0)
      record_event rescale "$parallelism->$target" "$t0" "$rec"
      parallelism=$target
      ;;
  esac
done

clog "chaos over at +$(offset_s)s; stopping the producer"
kill -TERM "$producer_pid"
wait "$producer_pid" || true
producer_pid=""
uploaded=$(wc -l <"$CLUSTER_DIR/uploads.tsv")
json_rows() { find "$CLUSTER_DIR/data/out/predictions" -type f ! -name '.*' -exec cat {} + 2>/dev/null | wc -l; }
clog "waiting up to ${drain_s}s for $uploaded rows in both sinks"
drain_start=$SECONDS
deadline=$((SECONDS + drain_s))
while :; do
  bq=$(bq_committed)
  js=$(json_rows)
  [[ "${bq:-0}" -ge "$uploaded" && "$js" -ge "$uploaded" ]] && break
  if [[ $SECONDS -gt $deadline ]]; then
    clog "drain timeout: BigQuery ${bq:-?}, JSON $js of $uploaded rows after ${drain_s}s"
    break
  fi
  sleep 2
done
drained_in=$((SECONDS - drain_start))
clog "final stop-with-savepoint (commits and acks what the last checkpoint holds)"
final_savepoint=$(stop_with_savepoint "$job") || diagnose
clog "final savepoint: ${final_savepoint:-none}"

# Whatever is unacked now is nacked by the stopped readers (or its lease runs out within the
# 10 s ack deadline): pull for 15 s without acking, count distinct messages.
unacked=$(python3 - "http://127.0.0.1:$PUBSUB_PORT/v1/projects/demo/subscriptions/classifier:pull" <<'PY'
import json, sys, time, urllib.request
ids, end = set(), time.time() + 15
while time.time() < end:
    req = urllib.request.Request(sys.argv[1], data=json.dumps({"maxMessages": 1000, "returnImmediately": True}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        for m in json.load(r).get("receivedMessages", []):
            ids.add(m["message"]["messageId"])
    time.sleep(1)
print(len(ids))
PY
)

for name in $(live_tms); do record_rss "$name"; done
sort -t- -k2,2n "$CLUSTER_DIR/rss.tsv" -o "$CLUSTER_DIR/rss.tsv"
rest "http://127.0.0.1:$BQ_CONTROL_PORT/committed" >"$CLUSTER_DIR/committed.tsv"
min_args=()
if [[ $short == 1 ]]; then min_args=(--min-tm-kills 2 --min-jm-failovers 1 --min-rescales 1); fi
set +e
python3 "$script_dir/lib/soak_report.py" --uploads "$CLUSTER_DIR/uploads.tsv" \
  --json-dir "$CLUSTER_DIR/data/out/predictions" --dead-letter-dir "$CLUSTER_DIR/data/out/dead-letter" \
  --bq-committed "$CLUSTER_DIR/committed.tsv" --events "$CLUSTER_DIR/events.tsv" --rss "$CLUSTER_DIR/rss.tsv" \
  --unacked "$unacked" "${min_args[@]}" | tee "$CLUSTER_DIR/result.txt"
verdict=${PIPESTATUS[0]}
set -e
echo "RESULT drain_s: $drained_in (producer stopped -> every row in both sinks, or the --drain-timeout)" | tee -a "$CLUSTER_DIR/result.txt"
echo "RESULT duration_s: $(offset_s) (chaos phase ${chaos_s}s, seed $seed, rate $rate/s)" | tee -a "$CLUSTER_DIR/result.txt"
exit "$verdict"
