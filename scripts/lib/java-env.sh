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
)

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
  job_classpath="$job_jar:$(cat "$classpath_file")"
}
