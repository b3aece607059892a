#!/usr/bin/env bash
# Cloud benchmark: the same images through local mode and through the emulated cloud path, per
# checkpoint interval, with the CPU of the job and of each emulator measured separately.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/java-env.sh disable=SC1091
source "$script_dir/lib/java-env.sh"

usage() {
  cat <<USAGE
Usage: scripts/bench-cloud.sh [--images N] [--intervals 5s,30s,60s] [--repeats N] [--smoke] [OPTIONS] [-- JOB FLAGS]

Runs the dev set (\$SHARED_DIR/images/imagenet-dev, repeated to N images) through the real job
graph in pairs, back to back, per checkpoint interval, each run in a fresh JVM after a warm-up run:
  local  the images in a folder (local mode, --once);
  cloud  the images uploaded to fake-gcs-server, whose OBJECT_FINALIZE notifications go to a
         Pub/Sub emulator subscription the job reads; the job fetches each object from
         fake-gcs-server.
Both emulators run on this machine, sharing its cores with the job: the CPU seconds per image of
the job's JVM and of each emulator process (/proc/<pid>/stat) are reported separately.
Measured over the last N images each job classifies (see --steady-after).
Ends with RESULT <figure> dev <interval> <value> lines, among them cloud_job/local_job and
cpu_per_image/cloud_job/local_job: the medians over the pairs. Every run must write exactly one
row per image, or the benchmark exits non-zero. A full run (3 pairs at each of 3 intervals) takes
about 30 minutes on 2 cores.

Options (defaults in brackets):
  --images N          images per measured run [2400]
  --warmup-images N   images of the warm-up job before each measured job, same JVM [N/2]
  --steady-after N    images each measured job classifies before its window opens, so the window
                      sees a job that has been running, as production runs do, with what its first
                      minute compiles (the Pub/Sub and gRPC clients' per-message code) compiled [N/2]
  --intervals LIST    checkpoint intervals [5s,30s,60s]
  --repeats N         local/cloud pairs per interval, the order alternating; RESULT lines are
                      the pairs' medians, so one noisy run does not decide [3]
  --parallelism P     job parallelism [cores]
  --smoke             60 images, one 2s interval: checks the harness and that no row is lost
                      (CI runs this; under a minute plus compilation)
  --work-dir DIR      [flink-job/target/bench-cloud]; per-run logs (per-thread CPU, task
                      busy/idle time) under DIR/logs
  --job-heap SIZE     [1g]
  --gcs-backend B     fake-gcs-server's storage: filesystem (files under the work dir) or memory
                      (what the tests use: it copies and scans its whole object list for every
                      download of a given generation, so its CPU per image grows with the objects
                      it holds, unlike Cloud Storage's) [filesystem]
  -- FLAGS            job flags for both modes (e.g. -- --max-outstanding-messages 1000)

Needs the Pub/Sub emulator (Google Cloud CLI) and fake-gcs-server (scripts/install-emulators.sh).
Environment: SHARED_DIR (default: ../shared next to the repository), TURBOJPEG_JAR,
BENCH_JOB_JAVA_OPTS (extra options for the job JVMs, e.g. a JFR recording; JVM output such as
-XX:+PrintCompilation in a file of its own, as scripts/bench.sh --help shows).
USAGE
}

for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --) break ;;
  esac
done

cd "$repo_root"
export SHARED_DIR="${SHARED_DIR:-$repo_root/../shared}"
if [[ ! -d "$SHARED_DIR/images/imagenet-dev" ]]; then
  echo "error: shared data not found at $SHARED_DIR (set SHARED_DIR)" >&2
  exit 2
fi

echo "==> Checking the emulators"
"$script_dir/install-emulators.sh"
ensure_test_classes_built
echo "==> Cloud benchmark (work files in flink-job/target/bench-cloud)"
exec java "${java_opts[@]}" -Xmx1g -cp "$test_classpath" io.imageclassifier.bench.CloudBenchmark \
  --work-dir "$repo_root/flink-job/target/bench-cloud" --shared-dir "$SHARED_DIR" "$@"
