#!/usr/bin/env bash
# Undoes deploy.sh, gke-setup.sh and gcp-setup.sh. Data (buckets, BigQuery dataset) only with --delete-data 1.
set -euo pipefail

VARS=(OVERLAY PROJECT_ID REGION CLUSTER NAMESPACE BUCKET TOPIC SUBSCRIPTION CHECKPOINT_GCS OUT_GCS OUT_BQ
  GSA_EMAIL IMAGE DELETE_DATA DELETE_CLUSTER DEAD_LETTER_TOPIC)

usage() {
  cat <<'USAGE'
Usage: scripts/teardown.sh [--overlay k8s/overlays/ENV] [--dry-run] [--FLAG VALUE ...]

Deletes, where present: the job's Kubernetes objects (the operator cancels the job), the GKE
cluster (with the operator and cert-manager in it), the bucket notification, the Pub/Sub
subscription and topic, the service account (and with it its IAM bindings) and the image.
With --delete-data 1 also the buckets (images, checkpoints, outputs, model), the BigQuery
dataset, and the dead-letter topic and its subscription (notifications no delivery could process). A second run finds nothing to delete and succeeds.

Values come from the overlay's values.env (or flags/environment, as for gcp-setup.sh):
  --overlay OVERLAY               default k8s/overlays/example
  --delete-data DELETE_DATA       1: also delete buckets and the BigQuery dataset (default 0)
  --delete-cluster DELETE_CLUSTER 0: keep the GKE cluster (default 1)
  --project-id, --region, --cluster, --namespace, --bucket, --topic, --subscription,
  --checkpoint-gcs, --out-gcs, --out-bq, --gsa-email, --image   as in values.env
  --dead-letter-topic             as for gcp-setup.sh (default TOPIC-dead-letter)
  --dry-run                       print every command, run none
  -h, --help                      this help
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
parse_args "$@"
DRY_RUN_ASSUME_EXISTS=1 # a dry run shows every delete
: "${OVERLAY:=$repo/k8s/overlays/example}"
if [[ -f $OVERLAY/values.env ]]; then load_env_file "$OVERLAY/values.env"; fi
: "${DELETE_DATA:=0}" "${DELETE_CLUSTER:=1}" "${NAMESPACE:=image-classifier}"
require PROJECT_ID REGION CLUSTER BUCKET TOPIC SUBSCRIPTION CHECKPOINT_GCS OUT_BQ GSA_EMAIL
: "${OUT_GCS:=${CHECKPOINT_GCS%/}/output}" "${DEAD_LETTER_TOPIC:=${TOPIC}-dead-letter}"
IFS=. read -r bq_project bq_dataset _ <<<"$OUT_BQ"

log "Kubernetes objects"
if exists gcloud container clusters describe "$CLUSTER" --project="$PROJECT_ID" --region="$REGION"; then
  run gcloud container clusters get-credentials "$CLUSTER" --project="$PROJECT_ID" --region="$REGION"
  run kubectl delete -k "$OVERLAY" --ignore-not-found --wait=true
  if [[ $DELETE_CLUSTER == 1 ]]; then
    log "GKE cluster $CLUSTER"
    run gcloud container clusters delete "$CLUSTER" --project="$PROJECT_ID" --region="$REGION" --quiet
  fi
fi

log "notifications, subscription, topic"
if [[ $DRY_RUN == 1 ]]; then
  ids=NOTIFICATION_ID
  show_cmd gcloud storage buckets notifications list "gs://$BUCKET" --project="$PROJECT_ID"
else
  ids=$(gcloud storage buckets notifications list "gs://$BUCKET" --project="$PROJECT_ID" \
    --format='value(id,topic)' 2>/dev/null | awk -v t="projects/$PROJECT_ID/topics/$TOPIC" '$2 == t {print $1}')
fi
for id in $ids; do
  run gcloud storage buckets notifications delete "projects/_/buckets/$BUCKET/notificationConfigs/$id" --project="$PROJECT_ID"
done
if exists gcloud pubsub subscriptions describe "$SUBSCRIPTION" --project="$PROJECT_ID"; then
  run gcloud pubsub subscriptions delete "$SUBSCRIPTION" --project="$PROJECT_ID" --quiet
fi
if exists gcloud pubsub topics describe "$TOPIC" --project="$PROJECT_ID"; then
  run gcloud pubsub topics delete "$TOPIC" --project="$PROJECT_ID" --quiet
fi

log "service account and image"
if exists gcloud iam service-accounts describe "$GSA_EMAIL" --project="$PROJECT_ID"; then
  run gcloud iam service-accounts delete "$GSA_EMAIL" --project="$PROJECT_ID" --quiet
fi
if [[ -n ${IMAGE:-} ]] && exists gcloud artifacts docker images describe "$IMAGE"; then
  run gcloud artifacts docker images delete "$IMAGE" --delete-tags --quiet
fi

if [[ $DELETE_DATA == 1 ]]; then
  log "data: buckets and BigQuery dataset"
  for b in "$BUCKET" "$(gcs_bucket "$CHECKPOINT_GCS")" "$(gcs_bucket "$OUT_GCS")"; do
    if exists gcloud storage buckets describe "gs://$b" --project="$PROJECT_ID"; then
      run gcloud storage rm --recursive "gs://$b"
    fi
  done
  if exists bq --project_id="$bq_project" show --dataset "$bq_project:$bq_dataset"; then
    run bq --project_id="$bq_project" rm -r -f --dataset "$bq_project:$bq_dataset"
  fi
  log "dead-letter subscription and topic"
  if exists gcloud pubsub subscriptions describe "${SUBSCRIPTION}-dead-letter" --project="$PROJECT_ID"; then
    run gcloud pubsub subscriptions delete "${SUBSCRIPTION}-dead-letter" --project="$PROJECT_ID" --quiet
  fi
  if exists gcloud pubsub topics describe "$DEAD_LETTER_TOPIC" --project="$PROJECT_ID"; then
    run gcloud pubsub topics delete "$DEAD_LETTER_TOPIC" --project="$PROJECT_ID" --quiet
  fi
else
  log "kept the buckets, the BigQuery dataset and the dead-letter topic and subscription (--delete-data 1 deletes them)"
fi
log "done"
