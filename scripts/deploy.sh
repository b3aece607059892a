#!/usr/bin/env bash
# Builds the job image, uploads the model if none is there, applies an overlay of k8s/ and waits
# for the job. The third script of the GKE deployment, after gke-setup.sh and gcp-setup.sh.
set -euo pipefail

VARS=(OVERLAY PROJECT_ID REGION CLUSTER NAMESPACE IMAGE MODEL_GCS_PATH LABELS_GCS_PATH MODEL_SRC LABELS_SRC
  SKIP_BUILD WAIT_TIMEOUT JAR GSA_EMAIL SUBSCRIPTION)

usage() {
  cat <<'USAGE'
Usage: scripts/deploy.sh [--overlay k8s/overlays/ENV] [--dry-run] [--FLAG VALUE ...]

1. builds the shaded job jar (mvn package) unless --skip-build 1;
2. builds the job image from k8s/Dockerfile with Cloud Build (no local Docker) and pushes IMAGE
   (the build context, jar included, is uploaded to the project's Cloud Build bucket);
3. uploads the model (and its sidecar) and labels to MODEL_GCS_PATH / LABELS_GCS_PATH only where
   nothing is there yet: it never overwrites a model you put there (rolling out a new model is
   its own step, not a side effect of a deploy);
4. fetches the cluster's credentials and applies the overlay (kubectl apply -k);
5. waits until the job (the FlinkDeployment's, or a session overlay's FlinkSessionJob) is
   RUNNING and prints the web UI port-forward command.

Before building anything it checks what the earlier steps create, and names the step to run:
the cluster, its operator CRD and NAMESPACE (scripts/gke-setup.sh), the job's service account
and subscription (scripts/gcp-setup.sh).

Every value comes from the overlay's values.env. A flag or environment variable may repeat one,
but not contradict it (the manifests are rendered from values.env only).

  --overlay OVERLAY               default k8s/overlays/example
  --project-id, --region, --cluster, --namespace, --image, --model-gcs-path, --labels-gcs-path
                                  as in values.env
  --model-src MODEL_SRC           local model (default $SHARED_DIR/models/mobilenetv2-12-int8.onnx,
                                  SHARED_DIR=../shared); <model>.json beside it is uploaded too
  --labels-src LABELS_SRC         local labels (default $SHARED_DIR/labels/imagenet_classes.txt)
  --skip-build SKIP_BUILD         1: use the jar in flink-job/target as it is
  --jar JAR                       the job jar (default flink-job/target/flink-job-0.1.0-SNAPSHOT.jar)
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
require PROJECT_ID REGION CLUSTER NAMESPACE IMAGE MODEL_GCS_PATH LABELS_GCS_PATH GSA_EMAIL SUBSCRIPTION
need_tools gcloud kubectl mvn
shared=${SHARED_DIR:-$repo/../shared}
: "${MODEL_SRC:=$shared/models/mobilenetv2-12-int8.onnx}" "${LABELS_SRC:=$shared/labels/imagenet_classes.txt}"
: "${SKIP_BUILD:=0}" "${WAIT_TIMEOUT:=600s}"
jar="${JAR:-$repo/flink-job/target/flink-job-0.1.0-SNAPSHOT.jar}"
# What to wait for: the application FlinkDeployment's job; in a session overlay the FlinkSessionJob
# (components/session-job), or, for a session cluster without one, its JobManager.
wait_for=(flinkdeployment/image-classifier "--for=jsonpath={.status.jobStatus.state}=RUNNING")
if grep -q 'components/session-job' "$OVERLAY/kustomization.yaml"; then
  wait_for=(flinksessionjob/image-classifier "--for=jsonpath={.status.jobStatus.state}=RUNNING")
elif grep -q 'components/session-cluster' "$OVERLAY/kustomization.yaml"; then
  wait_for=(flinkdeployment/image-classifier "--for=jsonpath={.status.jobManagerDeploymentStatus}=READY")
fi

log "preconditions"
precondition "no GKE cluster $CLUSTER in $REGION" scripts/gke-setup.sh \
  gcloud container clusters describe "$CLUSTER" --project="$PROJECT_ID" --region="$REGION"
precondition "no service account $GSA_EMAIL" scripts/gcp-setup.sh \
  gcloud iam service-accounts describe "$GSA_EMAIL" --project="$PROJECT_ID"
precondition "no Pub/Sub subscription $SUBSCRIPTION" scripts/gcp-setup.sh \
  gcloud pubsub subscriptions describe "$SUBSCRIPTION" --project="$PROJECT_ID"
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

log "model and labels (uploaded only where nothing is)"
# upload_unless_present SRC DEST: a model, sidecar or labels someone put at DEST stay as they are.
upload_unless_present() {
  if exists gcloud storage objects describe "$2"; then
    log "kept $2 (deploy.sh never overwrites it: upload a new model on purpose, then restart the job)"
  else
    run gcloud storage cp "$1" "$2"
  fi
}
if exists gcloud storage objects describe "$MODEL_GCS_PATH"; then
  log "kept $MODEL_GCS_PATH and whatever is beside it (deploy.sh never overwrites a model: upload a new one on purpose, then restart the job)"
else
  run gcloud storage cp "$MODEL_SRC" "$MODEL_GCS_PATH"
  if [[ -f $MODEL_SRC.json ]]; then run gcloud storage cp "$MODEL_SRC.json" "$MODEL_GCS_PATH.json"; fi
fi
upload_unless_present "$LABELS_SRC" "$LABELS_GCS_PATH"

log "manifests ($OVERLAY)"
run gcloud container clusters get-credentials "$CLUSTER" --project="$PROJECT_ID" --region="$REGION"
precondition "the Flink Kubernetes Operator is not installed" scripts/gke-setup.sh \
  kubectl get crd flinkdeployments.flink.apache.org
precondition "no namespace $NAMESPACE (the operator watches it)" scripts/gke-setup.sh \
  kubectl get namespace "$NAMESPACE"
run kubectl apply -k "$OVERLAY"

log "waiting up to $WAIT_TIMEOUT for the job to be RUNNING"
run kubectl -n "$NAMESPACE" wait "${wait_for[@]}" --timeout="$WAIT_TIMEOUT"

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
