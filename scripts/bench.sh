#!/usr/bin/env bash
# Throughput benchmark: baseline vs the project's classifier vs the whole job, per image set.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/java-env.sh disable=SC1091
source "$script_dir/lib/java-env.sh"

usage() {
  cat <<USAGE
Usage: scripts/bench.sh [--sets dev,camera] [--limit N] [--threads T] [--smoke] [OPTIONS] [-- JOB FLAGS]

Measures, on this machine and for each image set, images per second of
  baseline  ImageIO decode + Graphics2D bilinear resize/crop + one ONNX Runtime run per image,
            in a tight loop of T threads sharing one session (the straightforward implementation);
  bare      the same loop with the project's own classifier (decode, preprocess, inference);
  job       the real job graph (local source, --once, JSON sink, parallelism T) on an in-process
            Flink in a child JVM, after a warm-up run of the same graph in that JVM; steady state
            from the first to the last row written, with per-image latency (file seen ->
            prediction), latency under a paced load, and peak RSS at parallelism 1 and T;
  limit     the libraries' own rates on the same set: decode-only (the decoder bare calls, at its
            scale) and model-only (ONNX Runtime on ready tensors), combined as 1/(1/decode + 1/model),
            the rate bare would have if preprocessing and all of our own code were free;
then the ratios bare/baseline, bare/limit and job/bare and top-1 on the labelled set. The last lines are
machine-readable: RESULT <figure> <set> <value>.

Sets: dev (\$SHARED_DIR/images/imagenet-dev, ~0.2 MP JPEGs, labelled) and camera (12 MP JPEGs
generated once from \$SHARED_DIR/images/photos into flink-job/target/bench/images).
A full run takes about 25 minutes on 2 cores; --smoke (a few images, one short run each, no
thresholds) takes under one.

Options (defaults in brackets):
  --sets LIST       dev,camera                  --limit N        images per set [all: 200 / 12]
  --threads T       loop threads = job parallelism [cores]
  --seconds S       loop measurement window [5]  --reps R         loop runs, median [3]
  --job-reps R      job runs, median [3]         --job-seconds S  job input ~S s of bare work [60]
  --job-warmup-seconds S  warm-up run ~S s of bare work [20]; 0: measure a fresh JVM
  --paced-load F    paced latency run at F x the bare rate [0.5]; 0: skip
  --paced-seconds S paced run length [20]       --batch-sizes LIST  bare loop with N images per model run
  --no-rss-at-1     skip the parallelism-1 job run
  --work-dir DIR    [flink-job/target/bench]     --job-heap SIZE  job JVM heap, pre-touched [1g]
  --smoke           quick check that the harness works; its numbers mean nothing
  -- FLAGS          job flags for the job runs; model flags apply to the loops too,
                    e.g. -- --execution-provider cuda (after mvn -Pgpu package)

JPEGs are decoded with TurboJPEG where /usr/share/java/turbojpeg.jar is installed
(apt-get install libturbojpeg-java libturbojpeg0-dev), else with ImageIO; TURBOJPEG_JAR= (empty)
benchmarks without it. The output says which.

Environment: SHARED_DIR (default: ../shared next to the repository), TURBOJPEG_JAR,
BENCH_JOB_JAVA_OPTS (extra options for the job JVMs; JVM output in a file of its own, e.g.
"-XX:+PrintCompilation -XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput -XX:+LogVMOutput
-XX:LogFile=/tmp/vm.log": the WINDOW lines in flink-job/target/bench/logs/job-*.log give the
measured run's JVM uptime, the time stamps of that output).
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
if [[ ! -f "$SHARED_DIR/models/mobilenetv2-12-int8.onnx" ]]; then
  echo "error: shared data not found at $SHARED_DIR (set SHARED_DIR)" >&2
  exit 2
fi

ensure_test_classes_built
echo "==> Benchmark (model and images from $SHARED_DIR; work files in flink-job/target/bench)"
exec java "${java_opts[@]}" -Xmx2g -cp "$test_classpath" io.imageclassifier.bench.ThroughputBenchmark \
  --work-dir "$repo_root/flink-job/target/bench" --shared-dir "$SHARED_DIR" "$@"
