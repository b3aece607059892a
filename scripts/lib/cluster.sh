# shellcheck shell=bash
# A standalone Flink session cluster in separate JVM processes on 127.0.0.1, and the outside world
# (Pub/Sub emulator, fake-gcs-server, the BigQuery fakes, ZooKeeper) as processes of their own.
# Shared by scripts/local-cluster.sh and scripts/chaos-soak.sh. Source it after java-env.sh; every
# function works on one state directory, $CLUSTER_DIR:
#   cluster.env   ports and endpoints (sourced again by later commands: stop, status)
#   conf/         config.yaml (Flink), log4j.properties, zoo.cfg
#   pids/NAME     one file per process (zookeeper, pubsub, gcs, bigquery, jm-N, tm-N)
#   log/NAME.log  each process's output (Flink's own log: log/NAME.flink.log)
#   data/         ZooKeeper, checkpoints, savepoints, HA metadata, web uploads, the job's output
# shellcheck disable=SC2154,SC2153  # repo_root, java_opts: from java-env.sh; REST_PORT...: from cluster.env

cluster_lib="$repo_root/flink-cluster/target/lib"
cluster_zk_lib="$repo_root/flink-cluster/target/zookeeper"

clog() { printf '==> %s\n' "$*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
  local port=$1 what=$2 tries=${3:-300}
  for _ in $(seq 1 "$tries"); do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "error: $what did not start on port $port (see $CLUSTER_DIR/log/)" >&2
  return 1
}

# Builds what the cluster runs, where missing or stale: the shaded job jar, Flink's lib/ and
# ZooKeeper (module flink-cluster), and the test classes that hold the BigQuery fake server.
cluster_build() {
  ensure_job_built
  if [[ ! -d "$cluster_lib" || ! -d "$cluster_zk_lib" || "$repo_root/flink-cluster/pom.xml" -nt "$cluster_lib" ]]; then
    clog "Assembling Flink's lib/ and ZooKeeper: mvn -pl flink-cluster package"
    (cd "$repo_root" && mvn -B -q -ntp -pl flink-cluster package) >&2
    touch "$cluster_lib"
  fi
  ensure_test_classes_built
  "$repo_root/scripts/install-emulators.sh" >&2
  fake_gcs_bin="${FAKE_GCS_SERVER_BIN:-${EMULATORS_HOME:-$HOME/.cache/image-classifier/emulators}/bin/fake-gcs-server}"
  pubsub_emulator_command
}

# cluster_init REST_PORT SLOTS: picks ports, writes cluster.env and the configuration files.
cluster_init() {
  local rest_port=$1 slots=$2
  mkdir -p "$CLUSTER_DIR"/{conf,pids,log,data/zk,data/checkpoints,data/savepoints,data/ha,data/web-upload,data/out}
  local d="$CLUSTER_DIR/data"
  cat >"$CLUSTER_DIR/cluster.env" <<ENV
REST_PORT=$rest_port
ZK_PORT=$(free_port)
PUBSUB_PORT=$(free_port)
GCS_PORT=$(free_port)
BQ_GRPC_PORT=$(free_port)
BQ_REST_PORT=$(free_port)
BQ_CONTROL_PORT=$(free_port)
SLOTS=$slots
ENV
  # shellcheck source=/dev/null
  source "$CLUSTER_DIR/cluster.env"

  # tickTime 500 ms lets Flink ask for short sessions: a killed JobManager's leadership is
  # released after high-availability.zookeeper.client.session-timeout, not after a minute.
  cat >"$CLUSTER_DIR/conf/zoo.cfg" <<CFG
tickTime=500
dataDir=$d/zk
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok
CFG

  # As a real deployment's conf/config.yaml (and the Kubernetes FlinkDeployment's
  # flinkConfiguration): RocksDB incremental checkpoints, exponential-delay restarts (each
  # restart of the exactly-once BigQuery sink opens new write streams: no tight crash loop),
  # ZooKeeper HA so a JobManager can die and another take over, ONNX Runtime parent-first from lib/.
  cat >"$CLUSTER_DIR/conf/config.yaml" <<YAML
jobmanager.rpc.address: 127.0.0.1
jobmanager.bind-host: 127.0.0.1
jobmanager.rpc.port: 0
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.rpc.port: 0
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $REST_PORT
web.submit.enable: true
web.upload.dir: $d/web-upload
jobmanager.memory.process.size: 1024m
taskmanager.memory.process.size: 1728m
taskmanager.memory.managed.fraction: 0.15
taskmanager.memory.task.off-heap.size: 128m
taskmanager.numberOfTaskSlots: $slots
parallelism.default: 2
state.backend.type: rocksdb
execution.checkpointing.incremental: true
execution.checkpointing.dir: file://$d/checkpoints
execution.checkpointing.savepoint-dir: file://$d/savepoints
execution.checkpointing.num-retained: 2
restart-strategy.type: exponential-delay
restart-strategy.exponential-delay.initial-backoff: 1s
restart-strategy.exponential-delay.max-backoff: 20s
restart-strategy.exponential-delay.backoff-multiplier: 2.0
restart-strategy.exponential-delay.reset-backoff-threshold: 1min
restart-strategy.exponential-delay.jitter-factor: 0.1
restart-strategy.exponential-delay.attempts-before-reset-backoff: 1000
high-availability.type: zookeeper
high-availability.zookeeper.quorum: 127.0.0.1:$ZK_PORT
high-availability.storageDir: file://$d/ha
high-availability.cluster-id: /image-classifier-local
high-availability.zookeeper.client.session-timeout: 6s
high-availability.zookeeper.client.connection-timeout: 6s
zookeeper.sasl.disable: true
heartbeat.interval: 2s
heartbeat.timeout: 12s
# Spread a job's slots over the TaskManagers (not all on the first): a lost TaskManager costs
# what it ran, as on separate machines.
taskmanager.load-balance.mode: slots
classloader.parent-first-patterns.additional: ai.onnxruntime.;org.libjpegturbo.
YAML

  cat >"$CLUSTER_DIR/conf/log4j.properties" <<'PROPS'
monitorInterval = 30
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = WARN
logger.shaded_zookeeper.name = org.apache.flink.shaded.zookeeper3
logger.shaded_zookeeper.level = WARN
logger.curator.name = org.apache.flink.shaded.curator5.org.apache.curator
logger.curator.level = WARN
appender.main.name = MainAppender
appender.main.type = File
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
PROPS
}

cluster_load_env() {
  [[ -f "$CLUSTER_DIR/cluster.env" ]] || { echo "error: no cluster at $CLUSTER_DIR (start one first)" >&2; return 1; }
  # shellcheck source=/dev/null
  source "$CLUSTER_DIR/cluster.env"
}

# start_bg NAME CMD...: runs CMD detached (its own session, so it outlives this script and a
# stop can signal its whole process group), output to log/NAME.log, pid to pids/NAME.
start_bg() {
  local name=$1
  shift
  setsid "$@" >"$CLUSTER_DIR/log/$name.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/pids/$name"
  disown # no "Killed" notice from this shell when the chaos kills it
}

proc_pid() { cat "$CLUSTER_DIR/pids/$1" 2>/dev/null || true; }

proc_alive() {
  local pid
  pid=$(proc_pid "$1")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# stop_proc NAME [SIGNAL]: signals the process group of NAME (TERM: waits up to 20 s, then KILL).
stop_proc() {
  local name=$1 sig=${2:-TERM} pid
  pid=$(proc_pid "$name")
  [[ -n "$pid" ]] || return 0
  kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
  if [[ "$sig" == TERM ]]; then
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$CLUSTER_DIR/pids/$name"
}

start_zookeeper() {
  local cp="$cluster_zk_lib/*"
  local j
  # ZooKeeper's own jars, plus what it shares with Flink (logging, commons-io, snappy) from lib/.
  for j in "$cluster_lib"/{slf4j-api,commons-io,snappy-java,log4j-api,log4j-core,log4j-slf4j-impl}-*.jar; do cp="$cp:$j"; done
  clog "ZooKeeper 3.9 on 127.0.0.1:$ZK_PORT"
  start_bg zookeeper java -Xmx128m -Dlog.file="$CLUSTER_DIR/log/zookeeper.flink.log" \
    -Dlog4j.configurationFile="file:$CLUSTER_DIR/conf/log4j.properties" \
    -cp "$cp" org.apache.zookeeper.server.ZooKeeperServerMain "$CLUSTER_DIR/conf/zoo.cfg"
  wait_port "$ZK_PORT" ZooKeeper
}

start_pubsub() {
  clog "Pub/Sub emulator on 127.0.0.1:$PUBSUB_PORT: topic gcs-notifications, subscription classifier"
  start_bg pubsub "${pubsub_emulator_cmd[@]}" --host=127.0.0.1 --port="$PUBSUB_PORT"
  wait_port "$PUBSUB_PORT" "the Pub/Sub emulator"
  local api="http://127.0.0.1:$PUBSUB_PORT/v1/projects/demo"
  curl -fsS -X PUT "$api/topics/gcs-notifications" >/dev/null
  # 10 s, the shortest Pub/Sub allows: what a killed reader leased comes back soon.
  curl -fsS -X PUT -H 'Content-Type: application/json' \
    -d '{"topic":"projects/demo/topics/gcs-notifications","ackDeadlineSeconds":10}' \
    "$api/subscriptions/classifier" >/dev/null
}

start_gcs() {
  clog "fake-gcs-server on http://127.0.0.1:$GCS_PORT: bucket photos (notifications -> gcs-notifications)"
  PUBSUB_EMULATOR_HOST="127.0.0.1:$PUBSUB_PORT" start_bg gcs "$fake_gcs_bin" -scheme http -host 127.0.0.1 \
    -port "$GCS_PORT" -external-url "http://127.0.0.1:$GCS_PORT" -backend memory \
    -event.pubsub-project-id demo -event.pubsub-topic gcs-notifications -event.list finalize
  wait_port "$GCS_PORT" fake-gcs-server
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"name":"photos"}' \
    "http://127.0.0.1:$GCS_PORT/storage/v1/b?project=demo" >/dev/null
}

start_bigquery() {
  clog "BigQuery fakes: Storage Write gRPC 127.0.0.1:$BQ_GRPC_PORT, REST :$BQ_REST_PORT, control :$BQ_CONTROL_PORT"
  start_bg bigquery java -Xmx512m -cp "$test_classpath" io.imageclassifier.sink.bigquery.fake.FakeBigQueryServer \
    "$BQ_GRPC_PORT" "$BQ_REST_PORT" "$BQ_CONTROL_PORT"
  wait_port "$BQ_CONTROL_PORT" "the BigQuery fake"
}

# flink_jvm_args KIND: the JVM flags and -D dynamic properties Flink's launch scripts compute
# from config.yaml (heap, direct memory, the TaskManager's memory pools), as they do, with BashJavaUtils.
flink_jvm_args() {
  local kind=$1
  java -cp "$cluster_lib/*" org.apache.flink.runtime.util.bash.BashJavaUtils "GET_${kind}_RESOURCE_PARAMS" \
    --configDir "$CLUSTER_DIR/conf" 2>/dev/null | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p'
}

# start_flink NAME CLASS KIND [ARGS...]: one Flink process as flink-daemon.sh starts it.
start_flink() {
  local name=$1 class=$2 kind=$3 params jvm dyn
  shift 3
  params=$(flink_jvm_args "$kind")
  jvm=$(sed -n 1p <<<"$params")
  dyn=$(sed -n 2p <<<"$params")
  local -a jvm_args dyn_args
  read -r -a jvm_args <<<"$jvm"
  read -r -a dyn_args <<<"$dyn"
  [[ ${#jvm_args[@]} -gt 0 ]] || { echo "error: BashJavaUtils computed no JVM flags for $kind" >&2; return 1; }
  local -a opts=()
  local o
  for o in "${java_opts[@]}"; do
    [[ "$o" == -Dlog4j.configurationFile=* ]] || opts+=("$o")
  done
  # SHARED_DIR: the job's default model and labels on every TaskManager. TurboJPEG, where
  # installed, is in lib/ as in the Kubernetes image ($optional_classpath, from java-env.sh).
  SHARED_DIR="$SHARED_DIR" start_bg "$name" java "${jvm_args[@]}" "${opts[@]}" \
    -Dlog4j.configurationFile="file:$CLUSTER_DIR/conf/log4j.properties" \
    -Dlog.file="$CLUSTER_DIR/log/$name.flink.log" -cp "$cluster_lib/*$optional_classpath" "$class" \
    --configDir "$CLUSTER_DIR/conf" "${dyn_args[@]}" "$@"
}

start_jobmanager() {
  clog "JobManager $1 (StandaloneSessionClusterEntrypoint), REST and web UI on http://127.0.0.1:$REST_PORT"
  start_flink "$1" org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint JM
}

start_taskmanager() {
  clog "TaskManager $1 (TaskManagerRunner, $SLOTS slots)"
  # Its resource id is its name here, so the REST API's view of where tasks run names our processes.
  start_flink "$1" org.apache.flink.runtime.taskexecutor.TaskManagerRunner TM -D "taskmanager.resource-id=$1"
}

rest() { curl -fsS --max-time 10 "$@"; }
rest_url() { echo "http://127.0.0.1:$REST_PORT"; }

# wait_slots N [TIMEOUT]: until the leading JobManager's REST answers and N slots are registered.
wait_slots() {
  local want=$1 timeout=${2:-180} deadline have
  deadline=$((SECONDS + timeout))
  while :; do
    have=$(rest "$(rest_url)/overview" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["slots-total"])' 2>/dev/null || echo 0)
    [[ "$have" -ge "$want" ]] && return 0
    if [[ $SECONDS -gt $deadline ]]; then
      echo "error: $have of $want task slots after ${timeout}s (see $CLUSTER_DIR/log/)" >&2
      return 1
    fi
    sleep 0.5
  done
}

# The job's flags for this cluster's emulators (cloud mode, JSON Lines and BigQuery exactly-once).
cluster_job_args() {
  printf '%s\n' --project-id demo --subscription classifier \
    --pubsub-endpoint "127.0.0.1:$PUBSUB_PORT" --gcs-endpoint "http://127.0.0.1:$GCS_PORT" \
    --output-dir "$CLUSTER_DIR/data/out" --no-console \
    --output-bq-table demo.classifier.predictions --bq-delivery exactly-once \
    --bigquery-endpoint "http://127.0.0.1:$BQ_REST_PORT" --bigquery-write-endpoint "127.0.0.1:$BQ_GRPC_PORT" \
    --parallelism 0
}

# submit_job PARALLELISM [SAVEPOINT] [EXTRA JOB FLAGS...]: as ops would, through the REST API
# (scripts/submit-rest.sh: upload the shaded jar, run it). Prints the job id.
submit_job() {
  local parallelism=$1 savepoint=${2:-} out
  shift 2 || shift $#
  local -a args
  mapfile -t args < <(cluster_job_args)
  out=$("$repo_root/scripts/submit-rest.sh" --jobmanager "$(rest_url)" --jar "$job_jar" \
    --parallelism "$parallelism" ${savepoint:+--savepoint-path "$savepoint"} -- "${args[@]}" "$@" 2>>"$CLUSTER_DIR/log/submit.log")
  sed -n 's/^job id: //p' <<<"$out"
}

# running_job_id: the id of the job the leading JobManager reports as not terminal, if any.
running_job_id() {
  rest "$(rest_url)/jobs/overview" 2>/dev/null | python3 -c '
import json, sys
for j in json.load(sys.stdin)["jobs"]:
    if j["state"] not in ("FINISHED", "CANCELED", "FAILED"):
        print(j["jid"]); break' 2>/dev/null || true
}

# job_state JOB_ID: RUNNING, RESTARTING, ... (empty while no JobManager answers).
job_state() {
  rest "$(rest_url)/jobs/$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null || true
}

# job_fully_running JOB_ID: the job is RUNNING and so is every one of its tasks.
job_fully_running() {
  rest "$(rest_url)/jobs/$1" 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)
ok = j["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in j["vertices"])
sys.exit(0 if ok else 1)' 2>/dev/null
}

# stop_with_savepoint JOB_ID: stop-with-savepoint through REST; prints the savepoint path. A
# savepoint needs every task running: a request that meets a restart (a TaskManager just lost)
# fails with "Not all required tasks are currently running", so it waits for all tasks and
# retries, as an operator would (up to 5 attempts).
stop_with_savepoint() {
  local job=$1 attempt result
  for attempt in 1 2 3 4 5; do
    wait_fully_running "$job" 120 || true
    if result=$(stop_with_savepoint_once "$job"); then
      echo "$result"
      return 0
    fi
    echo "stop-with-savepoint attempt $attempt of $job failed; retrying" >&2
    sleep 2
  done
  echo "error: stop-with-savepoint of $job failed 5 times" >&2
  return 1
}

# wait_fully_running JOB_ID SECONDS: waits until every task of the job runs (returns 1 if not by then).
wait_fully_running() {
  local deadline=$((SECONDS + $2))
  until job_fully_running "$1"; do
    [[ $SECONDS -lt $deadline ]] || return 1
    sleep 0.5
  done
}

# stop_with_savepoint_once JOB_ID: one stop-with-savepoint request and its outcome.
stop_with_savepoint_once() {
  local job=$1 trigger status deadline
  trigger=$(rest -X POST -H 'Content-Type: application/json' \
    -d "{\"targetDirectory\":\"file://$CLUSTER_DIR/data/savepoints\",\"drain\":false}" \
    "$(rest_url)/jobs/$job/stop" | python3 -c 'import json,sys; print(json.load(sys.stdin)["request-id"])') || return 1
  deadline=$((SECONDS + 300))
  while [[ $SECONDS -lt $deadline ]]; do
    status=$(rest "$(rest_url)/jobs/$job/savepoints/$trigger" 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r["status"]["id"] != "COMPLETED":
    print("IN_PROGRESS")
elif "location" in r.get("operation", {}):
    print("OK " + r["operation"]["location"])
else:
    print("FAILED " + json.dumps(r.get("operation", {}))[:2000])' 2>/dev/null || echo IN_PROGRESS)
    case "$status" in
      OK*) echo "${status#OK }"; return 0 ;;
      FAILED*) echo "error: stop-with-savepoint failed: ${status#FAILED }" >&2; return 1 ;;
    esac
    sleep 1
  done
  echo "error: stop-with-savepoint of $job did not complete in 300 s" >&2
  return 1
}

# job_taskmanagers JOB_ID: the resource ids (our process names) of the TaskManagers running its tasks.
job_taskmanagers() {
  local job=$1 v
  for v in $(rest "$(rest_url)/jobs/$job" 2>/dev/null | python3 -c 'import json,sys; print(" ".join(v["id"] for v in json.load(sys.stdin)["vertices"]))' 2>/dev/null); do
    rest "$(rest_url)/jobs/$job/vertices/$v/taskmanagers" 2>/dev/null |
      python3 -c 'import json,sys; [print(t["taskmanager-id"]) for t in json.load(sys.stdin)["taskmanagers"]]' 2>/dev/null || true
  done | sort -u
}

# The processes in start order, for status and stop.
cluster_procs() {
  local f
  for f in "$CLUSTER_DIR"/pids/*; do
    [[ -e "$f" ]] && basename "$f"
  done
}

# stop_cluster: Flink first (TaskManagers, JobManagers), then the outside world.
stop_cluster() {
  local name
  for name in $(cluster_procs); do
    case "$name" in tm-*) stop_proc "$name" ;; esac
  done
  for name in $(cluster_procs); do
    case "$name" in jm-*) stop_proc "$name" ;; esac
  done
  for name in $(cluster_procs); do stop_proc "$name"; done
}
