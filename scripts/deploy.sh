#!/usr/bin/env bash
# Builds the job image, uploads the model, applies an overlay of k8s/ and waits for the job.
set -euo pipefail

VARS=(OVERLAY PROJECT_ID REGION CLUSTER NAMESPACE IMAGE MODEL_GCS_PATH LABELS_GCS_PATH MODEL_SRC LABELS_SRC
  SKIP_BUILD WAIT_TIMEOUT)

usage() {
  cat <<'USAGE'
Usage: scripts/deploy.sh [--overlay k8s/overlays/ENV] [--dry-run] [--FLAG VALUE ...]

1. builds the shaded job jar (mvn package) unless --skip-build 1;
2. builds the job image from k8s/Dockerfile with Cloud Build (no local Docker) and pushes IMAGE
   (the build context, jar included, is uploaded to the project's Cloud Build bucket);
3. uploads the model and labels to MODEL_GCS_PATH / LABELS_GCS_PATH;
4. fetches the cluster's credentials and applies the overlay (kubectl apply -k);
5. waits until the FlinkDeployment's job is RUNNING and prints the web UI port-forward command.

Every value comes from the overlay's values.env. A flag or environment variable may repeat one,
but not contradict it (the manifests are rendered from values.env only).

  --overlay OVERLAY               default k8s/overlays/example
  --project-id, --region, --cluster, --namespace, --image, --model-gcs-path, --labels-gcs-path
                                  as in values.env
  --model-src MODEL_SRC           local model (default $SHARED_DIR/models/mobilenetv2-12-int8.onnx,
                                  SHARED_DIR=../shared); <model>.json beside it is uploaded too
  --labels-src LABELS_SRC         local labels (default $SHARED_DIR/labels/imagenet_classes.txt)
  --skip-build SKIP_BUILD         1: use the jar in flink-job/target as it is
  --wait-timeout WAIT_TIMEOUT     how long to wait for RUNNING (default 600s)
  --dry-run                       print every command, run none
  -h, --help                      this help
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
parse_args "$@"

: "${OVERLAY:=$repo/k8s/overlays/example}"
[[ -f $OVERLAY/values.env ]] || die "no values.env in overlay $OVERLAY"
# Values given as flags or environment must agree with the overlay, which the manifests use.
for v in PROJECT_ID REGION CLUSTER NAMESPACE IMAGE MODEL_GCS_PATH LABELS_GCS_PATH; do
  if [[ -n ${!v:-} ]]; then
    file_value=$(grep -E "^$v=" "$OVERLAY/values.env" | tail -n 1 | cut -d= -f2-)
    if [[ -n $file_value && $file_value != "${!v}" ]]; then
      die "$v=${!v} contradicts $OVERLAY/values.env ($file_value): edit the overlay instead"
    fi
  fi
done
load_env_file "$OVERLAY/values.env"
require PROJECT_ID REGION CLUSTER NAMESPACE IMAGE MODEL_GCS_PATH LABELS_GCS_PATH
shared=${SHARED_DIR:-$repo/../shared}
: "${MODEL_SRC:=$shared/models/mobilenetv2-12-int8.onnx}" "${LABELS_SRC:=$shared/labels/imagenet_classes.txt}"
: "${SKIP_BUILD:=0}" "${WAIT_TIMEOUT:=600s}"
jar="$repo/flink-job/target/flink-job-0.1.0-SNAPSHOT.jar"
ort_version=$(sed -n 's:.*<onnxruntime.version>\(.*\)</onnxruntime.version>.*:\1:p' "$repo/pom.xml")
[[ -n $ort_version ]] || die "no <onnxruntime.version> in pom.xml"

if [[ $SKIP_BUILD != 1 ]]; then
  log "job jar"
  run mvn -B -q -f "$repo/pom.xml" -DskipTests package -pl flink-job -am
fi

log "image $IMAGE (Cloud Build)"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
run cp "$repo/k8s/Dockerfile" "$context/Dockerfile"
run cp "$jar" "$context/image-classifier.jar"
run mvn -B -q -f "$repo/pom.xml" dependency:copy \
  "-Dartifact=com.microsoft.onnxruntime:onnxruntime:$ort_version" "-DoutputDirectory=$context"
run mv "$context/onnxruntime-$ort_version.jar" "$context/onnxruntime.jar"
run gcloud builds submit "$context" --project="$PROJECT_ID" --region="$REGION" --tag="$IMAGE"

log "model and labels"
run gcloud storage cp "$MODEL_SRC" "$MODEL_GCS_PATH"
if [[ -f $MODEL_SRC.json ]]; then run gcloud storage cp "$MODEL_SRC.json" "$MODEL_GCS_PATH.json"; fi
run gcloud storage cp "$LABELS_SRC" "$LABELS_GCS_PATH"

log "manifests ($OVERLAY)"
run gcloud container clusters get-credentials "$CLUSTER" --project="$PROJECT_ID" --region="$REGION"
run kubectl apply -k "$OVERLAY"

log "waiting up to $WAIT_TIMEOUT for the job to be RUNNING"
run kubectl -n "$NAMESPACE" wait flinkdeployment/image-classifier \
  --for=jsonpath='{.status.jobStatus.state}'=RUNNING --timeout="$WAIT_TIMEOUT"

if [[ $DRY_RUN == 1 ]]; then
  log "dry run: nothing was run"
  exit 0
fi
cat <<DONE
The job is running. Flink web UI:
  kubectl -n $NAMESPACE port-forward svc/image-classifier-rest 8081
  open http://localhost:8081
Status: kubectl -n $NAMESPACE get flinkdeployment image-classifier
DONE
