#!/usr/bin/env bash
# Shared by the scripts that run the job in a plain JVM: builds the jar when needed and puts
# Flink (a `provided` dependency of the jar) on the classpath, as a Flink distribution would.
# Source it; it defines repo_root, job_jar, job_classpath and java_opts.
# shellcheck disable=SC2034  # the variables are for the scripts that source this file

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
job_jar="$repo_root/flink-job/target/flink-job-0.1.0-SNAPSHOT.jar"
classpath_file="$repo_root/flink-job/target/flink-classpath.txt"

# Flink 2 on Java 17 needs these opens, as Flink's own launch scripts pass them.
java_opts=(
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
  "-Dlog4j.configurationFile=$repo_root/scripts/log4j2-local.properties"
  # Cloud Storage downloads keep-alive: as many idle connections as download threads, not the
  # JDK's 5 (the Kubernetes manifests set the same; see fetch.GcsObjectStore).
  -Dhttp.maxConnections=64
)

# TurboJPEG's Java API (apt-get install libturbojpeg-java libturbojpeg0-dev) is not on Maven Central:
# where installed it goes on the classpath and the classifier decodes JPEGs with it (DCT-domain
# scaling of large images); elsewhere ImageIO decodes them. TURBOJPEG_JAR= (empty) leaves it off.
turbojpeg_jar="${TURBOJPEG_JAR-/usr/share/java/turbojpeg.jar}"
optional_classpath=""
if [[ -n "$turbojpeg_jar" && -f "$turbojpeg_jar" ]]; then
  optional_classpath=":$turbojpeg_jar"
fi

# Builds the shaded jar if it is missing or older than any source, and resolves Flink's classpath.
ensure_job_built() {
  local stale
  stale=""
  if [[ ! -f "$job_jar" ]]; then
    stale="missing"
  elif [[ -n "$(find "$repo_root/flink-job/src/main" "$repo_root/flink-job/pom.xml" "$repo_root/pom.xml" -newer "$job_jar" -type f -print -quit)" ]]; then
    stale="out of date"
  fi
  if [[ -n "$stale" ]]; then
    echo "==> Building the job jar ($stale): mvn -DskipTests package" >&2
    (cd "$repo_root" && mvn -B -q -DskipTests package -pl flink-job -am) >&2
  fi
  if [[ ! -f "$classpath_file" || "$repo_root/flink-job/pom.xml" -nt "$classpath_file" ]]; then
    echo "==> Resolving Flink's classpath (provided dependencies)" >&2
    (cd "$repo_root" && mvn -B -q dependency:build-classpath -pl flink-job \
      -Dmdep.includeScope=provided -Dmdep.outputFile="$classpath_file") >&2
  fi
  job_classpath="$job_jar:$(cat "$classpath_file")$optional_classpath"
}

# Compiles main and test classes if any source is newer than the last build, resolves the test
# classpath, and sets test_classpath (test classes, classes, every dependency incl. test scope):
# for tools that live in the test sources, such as the benchmark.
ensure_test_classes_built() {
  local module stamp cp_file
  module="$repo_root/flink-job"
  stamp="$module/target/test-classes.stamp"
  cp_file="$module/target/test-classpath.txt"
  if [[ ! -f "$stamp" || -n "$(find "$module/src" "$module/pom.xml" "$repo_root/pom.xml" -newer "$stamp" -type f -print -quit)" ]]; then
    echo "==> Compiling main and test classes: mvn test-compile" >&2
    (cd "$repo_root" && mvn -B -q test-compile -pl flink-job -am) >&2
    touch "$stamp"
  fi
  if [[ ! -f "$cp_file" || "$module/pom.xml" -nt "$cp_file" || "$repo_root/pom.xml" -nt "$cp_file" ]]; then
    echo "==> Resolving the test classpath" >&2
    (cd "$repo_root" && mvn -B -q dependency:build-classpath -pl flink-job \
      -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file") >&2
  fi
  test_classpath="$module/target/test-classes:$module/target/classes:$(cat "$cp_file")$optional_classpath"
}

# Sets pubsub_emulator_cmd to the command line of the Pub/Sub emulator (Google Cloud CLI component
# pubsub-emulator; PUBSUB_EMULATOR_BIN overrides its launcher). The emulator's jar (0.8.20) bundles
# grpc-core 1.68.1 with an older grpc-api: every StreamingPull cancel (a killed subscriber) then
# throws NoSuchMethodError, the emulator never drops the dead stream and keeps leasing new messages
# to it for minutes. So the jar runs with grpc-api 1.68.1 first on its classpath, as the tests'
# CloudEmulators does (the build copies it to flink-job/target/pubsub-emulator-lib).
pubsub_emulator_command() {
  local launcher lib jar api
  launcher="${PUBSUB_EMULATOR_BIN:-$(dirname "$(dirname "$(readlink -f "$(command -v gcloud)")")")/platform/pubsub-emulator/bin/cloud-pubsub-emulator}"
  if [[ ! -x "$launcher" ]]; then
    echo "error: no Pub/Sub emulator at $launcher (Google Cloud CLI component pubsub-emulator)" >&2
    return 1
  fi
  lib="$(dirname "$(dirname "$(readlink -f "$launcher")")")/lib"
  jar="$(find "$lib" -maxdepth 1 -name 'cloud-pubsub-emulator-*-all.jar' -print -quit 2>/dev/null || true)"
  if [[ -z "$jar" ]]; then
    echo "warning: no cloud-pubsub-emulator-*-all.jar in $lib: starting $launcher as it is" >&2
    pubsub_emulator_cmd=("$launcher")
    return 0
  fi
  api="$repo_root/flink-job/target/pubsub-emulator-lib/grpc-api-1.68.1.jar"
  if [[ ! -f "$api" ]]; then
    echo "==> Copying grpc-api 1.68.1 for the Pub/Sub emulator: mvn dependency:copy" >&2
    (cd "$repo_root" && mvn -B -q -pl flink-job dependency:copy@pubsub-emulator-grpc-api) >&2
  fi
  pubsub_emulator_cmd=(java -Xmx512m -cp "$api:$jar" com.google.cloud.pubsub.testing.v1.Main)
}
