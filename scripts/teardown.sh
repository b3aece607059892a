#!/usr/bin/env bash
# Undoes deploy.sh, gke-setup.sh and gcp-setup.sh. Data (buckets, BigQuery dataset) only with
# --delete-data 1, and then only what gcp-setup.sh created (its created_by label).
set -euo pipefail

VARS=(OVERLAY PROJECT_ID REGION CLUSTER NAMESPACE BUCKET TOPIC SUBSCRIPTION CHECKPOINT_GCS OUT_GCS OUT_BQ
  GSA_EMAIL IMAGE DELETE_DATA DELETE_CLUSTER DEAD_LETTER_TOPIC MODEL_GCS_PATH LABELS_GCS_PATH)

usage() {
  cat <<'USAGE'
Usage: scripts/teardown.sh [--overlay k8s/overlays/ENV] [--dry-run] [--FLAG VALUE ...]

Deletes, where present: the job's Kubernetes objects (the operator cancels the job), the GKE
cluster (with the operator and cert-manager in it), the bucket notification, the Pub/Sub
subscription and topic, the service account (and with it its IAM bindings) and the image.
With --delete-data 1 also the buckets (images, checkpoints, outputs, model) and the BigQuery dataset
that gcp-setup.sh created, known by its label created_by=image-classifier-gcp-setup: a bucket
or dataset that existed before (your image bucket, a shared checkpoint bucket) is kept and
named, to delete by hand if you mean to; and the dead-letter topic and its subscription
(notifications no delivery could process). A second run finds nothing to delete and succeeds.

Values come from the overlay's values.env (or flags/environment, as for gcp-setup.sh):
  --overlay OVERLAY               default k8s/overlays/example
  --delete-data DELETE_DATA       1: also delete the buckets and BigQuery dataset gcp-setup.sh
                                  created (default 0)
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

created_label=image-classifier-gcp-setup # gcp-setup.sh's created_by label

# created_by_setup KIND NAME CMD...: CMD prints the resource's created_by label. Under --dry-run
# the check is printed and the resource taken as created by gcp-setup.sh, to show the delete.
created_by_setup() {
  local kind=$1 name=$2 label
  shift 2
  if [[ $DRY_RUN == 1 ]]; then
    show_cmd "$@"
    return 0
  fi
  label=$("$@" 2>/dev/null || true)
  if [[ $label == *"$created_label"* ]]; then return 0; fi
  warn "kept $kind $name: gcp-setup.sh did not create it (no label created_by=$created_label); delete it yourself if you mean to"
  return 1
}

if [[ $DELETE_DATA == 1 ]]; then
  log "data: the buckets and BigQuery dataset gcp-setup.sh created"
  buckets=()
  candidates=("$BUCKET" "$(gcs_bucket "$CHECKPOINT_GCS")" "$(gcs_bucket "$OUT_GCS")")
  for uri in ${MODEL_GCS_PATH:-} ${LABELS_GCS_PATH:-}; do candidates+=("$(gcs_bucket "$uri")"); done
  for b in "${candidates[@]}"; do
    if [[ " ${buckets[*]} " != *" $b "* ]]; then buckets+=("$b"); fi
  done
  for b in "${buckets[@]}"; do
    if exists gcloud storage buckets describe "gs://$b" --project="$PROJECT_ID" &&
      created_by_setup bucket "gs://$b" gcloud storage buckets describe "gs://$b" --project="$PROJECT_ID" \
        --format='value(labels.created_by)'; then
      run gcloud storage rm --recursive "gs://$b"
    fi
  done
  if exists bq --project_id="$bq_project" show --dataset "$bq_project:$bq_dataset" &&
    created_by_setup dataset "$bq_project:$bq_dataset" bq --project_id="$bq_project" show --format=json \
      --dataset "$bq_project:$bq_dataset"; then
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
