#!/usr/bin/env bash
# Creates the GCP resources the job needs. Idempotent: what exists is left alone.
set -euo pipefail

VARS=(PROJECT_ID REGION BUCKET TOPIC SUBSCRIPTION CHECKPOINT_GCS CHECKPOINT_INTERVAL OUT_GCS OUT_BQ
  MODEL_GCS_PATH LABELS_GCS_PATH NAMESPACE GSA_EMAIL IMAGE ACK_DEADLINE DEAD_LETTER_TOPIC MAX_DELIVERY_ATTEMPTS STEPS)
KSA=image-classifier

usage() {
  cat <<'USAGE'
Usage: scripts/gcp-setup.sh [--env-file k8s/overlays/ENV/values.env] [--dry-run] [--FLAG VALUE ...]

Creates, if missing: the APIs, the image bucket and the state bucket(s), the Pub/Sub topic and
pull subscription (with a dead-letter topic after MAX_DELIVERY_ATTEMPTS deliveries, and a
subscription on that topic that keeps what lands there for 7 days), the image bucket's OBJECT_FINALIZE notifications (JSON_API_V1) to the topic,
the BigQuery dataset and table, the Artifact Registry repository of IMAGE, the job's GCP service
account with only the roles it needs, and its Workload Identity binding to the Kubernetes
service account NAMESPACE/image-classifier. A second run changes nothing.

Values (flag, or environment variable, or --env-file; flags win):
  --project-id PROJECT_ID           GCP project (required)
  --region REGION                   bucket, dataset and registry location (default europe-west1)
  --bucket BUCKET                   bucket users upload images to (required)
  --topic TOPIC                     notification topic (default image-uploads)
  --subscription SUBSCRIPTION       the job's pull subscription (default image-uploads-classifier)
  --checkpoint-gcs CHECKPOINT_GCS   gs://BUCKET/PREFIX for checkpoints, savepoints, HA (required)
  --checkpoint-interval CHECKPOINT_INTERVAL
                                    Flink checkpoint interval (default 30s); sizes the ack deadline
  --ack-deadline ACK_DEADLINE       seconds (default 2 x interval + 60, at most 600)
  --dead-letter-topic DEAD_LETTER_TOPIC
                                    where Pub/Sub moves a notification delivered
                                    MAX_DELIVERY_ATTEMPTS times without an ack (default
                                    TOPIC-dead-letter; kept by subscription SUBSCRIPTION-dead-letter)
  --max-delivery-attempts MAX_DELIVERY_ATTEMPTS
                                    5..100 (default 20): the last net for a message that
                                    fails the job every time it is delivered
  --out-gcs OUT_GCS                 JSON output gs:// dir (default CHECKPOINT_GCS/output)
  --out-bq OUT_BQ                   PROJECT.DATASET.TABLE (required)
  --model-gcs-path MODEL_GCS_PATH   gs:// model (its bucket gets read access; optional)
  --labels-gcs-path LABELS_GCS_PATH gs:// labels (optional)
  --namespace NAMESPACE             Kubernetes namespace of the job (default image-classifier)
  --gsa-email GSA_EMAIL             job's GCP service account
                                    (default image-classifier@PROJECT_ID.iam.gserviceaccount.com)
  --image IMAGE                     REGION-docker.pkg.dev/PROJECT/REPO/NAME:TAG: creates REPO (optional)
  --steps STEPS                     comma list of apis,storage,pubsub,notification,bigquery,
                                    artifacts,iam (default: all)
  --env-file FILE                   read unset values from FILE (KEY=VALUE, an overlay's values.env)
  --dry-run                         print every command, run none
  -h, --help                        this help
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
parse_args "$@"

: "${REGION:=europe-west1}" "${TOPIC:=image-uploads}" "${SUBSCRIPTION:=image-uploads-classifier}"
: "${CHECKPOINT_INTERVAL:=30s}" "${NAMESPACE:=image-classifier}"
: "${DEAD_LETTER_TOPIC:=${TOPIC}-dead-letter}" "${MAX_DELIVERY_ATTEMPTS:=20}"
: "${STEPS:=apis,storage,pubsub,notification,bigquery,artifacts,iam}"
require PROJECT_ID BUCKET CHECKPOINT_GCS OUT_BQ
: "${OUT_GCS:=${CHECKPOINT_GCS%/}/output}"
: "${GSA_EMAIL:=image-classifier@${PROJECT_ID}.iam.gserviceaccount.com}"

# A message is acked when the checkpoint after it completes: up to one interval, plus the
# checkpoint itself. Pub/Sub caps the deadline at 600 s; beyond it the source must extend leases.
interval_s=$(duration_seconds "$CHECKPOINT_INTERVAL")
: "${ACK_DEADLINE:=$((2 * interval_s + 60 > 600 ? 600 : 2 * interval_s + 60))}"
((ACK_DEADLINE >= 10 && ACK_DEADLINE <= 600)) || die "ACK_DEADLINE must be 10..600 s, was $ACK_DEADLINE"
if ((ACK_DEADLINE < interval_s + 10)); then
  warn "ack deadline ${ACK_DEADLINE}s is shorter than the checkpoint interval (${interval_s}s): expect redeliveries"
fi

if ! [[ $MAX_DELIVERY_ATTEMPTS =~ ^[0-9]+$ ]] || ((MAX_DELIVERY_ATTEMPTS < 5 || MAX_DELIVERY_ATTEMPTS > 100)); then
  die "MAX_DELIVERY_ATTEMPTS must be 5..100 (Pub/Sub's range), was $MAX_DELIVERY_ATTEMPTS"
fi

IFS=. read -r bq_project bq_dataset bq_table <<<"$OUT_BQ"
[[ -n $bq_project && -n $bq_dataset && -n $bq_table && $OUT_BQ != *.*.*.* ]] ||
  die "OUT_BQ must be PROJECT.DATASET.TABLE, was $OUT_BQ"
state_bucket=$(gcs_bucket "$CHECKPOINT_GCS")
out_bucket=$(gcs_bucket "$OUT_GCS")
gsa_member="serviceAccount:$GSA_EMAIL"
topic_path="projects/$PROJECT_ID/topics/$TOPIC"
dead_letter_path="projects/$PROJECT_ID/topics/$DEAD_LETTER_TOPIC"
dead_letter_subscription="${SUBSCRIPTION}-dead-letter"

step_enabled() { [[ ",$STEPS," == *",$1,"* ]]; }

ensure_bucket() {
  if exists gcloud storage buckets describe "gs://$1" --project="$PROJECT_ID"; then
    log "bucket gs://$1 exists"
  else
    run gcloud storage buckets create "gs://$1" --project="$PROJECT_ID" --location="$REGION" \
      --uniform-bucket-level-access --public-access-prevention
  fi
}

if step_enabled apis; then
  log "APIs"
  run gcloud services enable --project="$PROJECT_ID" storage.googleapis.com pubsub.googleapis.com \
    bigquery.googleapis.com bigquerystorage.googleapis.com container.googleapis.com \
    artifactregistry.googleapis.com cloudbuild.googleapis.com iam.googleapis.com
fi

if step_enabled storage; then
  log "buckets"
  ensure_bucket "$BUCKET"
  ensure_bucket "$state_bucket"
  if [[ $out_bucket != "$state_bucket" ]]; then ensure_bucket "$out_bucket"; fi
fi

if step_enabled pubsub; then
  log "Pub/Sub topic and subscription (ack deadline ${ACK_DEADLINE}s for a ${CHECKPOINT_INTERVAL} checkpoint interval)"
  for t in "$TOPIC" "$DEAD_LETTER_TOPIC"; do
    if exists gcloud pubsub topics describe "$t" --project="$PROJECT_ID"; then
      log "topic $t exists"
    else
      run gcloud pubsub topics create "$t" --project="$PROJECT_ID"
    fi
  done
  # A topic without a subscription drops what is published to it: this one keeps the dead letters.
  if exists gcloud pubsub subscriptions describe "$dead_letter_subscription" --project="$PROJECT_ID"; then
    log "subscription $dead_letter_subscription exists"
  else
    run gcloud pubsub subscriptions create "$dead_letter_subscription" --project="$PROJECT_ID" \
      --topic="$DEAD_LETTER_TOPIC" --message-retention-duration=7d --expiration-period=never
  fi
  if exists gcloud pubsub subscriptions describe "$SUBSCRIPTION" --project="$PROJECT_ID"; then
    log "subscription $SUBSCRIPTION exists"
    current=""
    if [[ $DRY_RUN != 1 ]]; then
      current=$(gcloud pubsub subscriptions describe "$SUBSCRIPTION" --project="$PROJECT_ID" \
        --format='value(ackDeadlineSeconds,deadLetterPolicy.deadLetterTopic,deadLetterPolicy.maxDeliveryAttempts)')
    fi
    if [[ -n $current ]]; then
      IFS=$'\t' read -r cur_deadline cur_dl_topic cur_attempts <<<"$current"
      changes=()
      [[ $cur_deadline == "$ACK_DEADLINE" ]] || changes+=(--ack-deadline="$ACK_DEADLINE")
      if [[ $cur_dl_topic != "$dead_letter_path" || $cur_attempts != "$MAX_DELIVERY_ATTEMPTS" ]]; then
        changes+=(--dead-letter-topic="$dead_letter_path" --max-delivery-attempts="$MAX_DELIVERY_ATTEMPTS")
      fi
      if ((${#changes[@]})); then
        run gcloud pubsub subscriptions update "$SUBSCRIPTION" --project="$PROJECT_ID" "${changes[@]}"
      fi
    fi
  else
    run gcloud pubsub subscriptions create "$SUBSCRIPTION" --project="$PROJECT_ID" --topic="$TOPIC" \
      --ack-deadline="$ACK_DEADLINE" --message-retention-duration=7d --expiration-period=never \
      --dead-letter-topic="$dead_letter_path" --max-delivery-attempts="$MAX_DELIVERY_ATTEMPTS"
  fi
fi

if step_enabled notification; then
  log "notifications gs://$BUCKET -> $topic_path"
  existing=""
  if [[ $DRY_RUN == 1 ]]; then
    show_cmd gcloud storage buckets notifications list "gs://$BUCKET" --project="$PROJECT_ID" --format=json
  else
    existing=$(gcloud storage buckets notifications list "gs://$BUCKET" --project="$PROJECT_ID" \
      --format='value(topic,event_types,payload_format)')
  fi
  if grep -q "$topic_path.*OBJECT_FINALIZE.*JSON_API_V1" <<<"$existing"; then
    log "notification config exists"
  else
    # Also grants the project's Cloud Storage service agent pubsub.publisher on the topic.
    run gcloud storage buckets notifications create "gs://$BUCKET" --project="$PROJECT_ID" \
      --topic="$topic_path" --event-types=OBJECT_FINALIZE --payload-format=json
  fi
fi

if step_enabled bigquery; then
  log "BigQuery dataset and table"
  if exists bq --project_id="$bq_project" show --dataset "$bq_project:$bq_dataset"; then
    log "dataset $bq_project:$bq_dataset exists"
  else
    run bq --project_id="$bq_project" mk --dataset --location="$REGION" "$bq_project:$bq_dataset"
  fi
  if exists bq --project_id="$bq_project" show "$bq_project:$bq_dataset.$bq_table"; then
    log "table $OUT_BQ exists"
  else
    run bq --project_id="$bq_project" mk --table --time_partitioning_type=DAY \
      --time_partitioning_field=event_time "$bq_project:$bq_dataset.$bq_table" \
      "$here/bigquery/predictions-schema.json"
  fi
fi

if step_enabled artifacts && [[ ${IMAGE:-} =~ ^([a-z0-9-]+)-docker\.pkg\.dev/([^/]+)/([^/]+)/ ]]; then
  ar_location=${BASH_REMATCH[1]} ar_project=${BASH_REMATCH[2]} ar_repo=${BASH_REMATCH[3]}
  log "Artifact Registry repository $ar_repo"
  if exists gcloud artifacts repositories describe "$ar_repo" --project="$ar_project" --location="$ar_location"; then
    log "repository $ar_repo exists"
  else
    run gcloud artifacts repositories create "$ar_repo" --project="$ar_project" --location="$ar_location" \
      --repository-format=docker
  fi
fi

if step_enabled iam; then
  log "service account $GSA_EMAIL and its roles"
  if exists gcloud iam service-accounts describe "$GSA_EMAIL" --project="$PROJECT_ID"; then
    log "service account exists"
  else
    run gcloud iam service-accounts create "${GSA_EMAIL%%@*}" --project="$PROJECT_ID" \
      --display-name="Streaming image classifier (Flink)"
  fi
  # Bindings are sets: adding an existing one changes nothing.
  run gcloud storage buckets add-iam-policy-binding "gs://$BUCKET" --member="$gsa_member" \
    --role=roles/storage.objectViewer
  run gcloud storage buckets add-iam-policy-binding "gs://$state_bucket" --member="$gsa_member" \
    --role=roles/storage.objectAdmin
  if [[ $out_bucket != "$state_bucket" ]]; then
    run gcloud storage buckets add-iam-policy-binding "gs://$out_bucket" --member="$gsa_member" \
      --role=roles/storage.objectAdmin
  fi
  for model_uri in ${MODEL_GCS_PATH:-} ${LABELS_GCS_PATH:-}; do
    model_bucket=$(gcs_bucket "$model_uri")
    if [[ $model_bucket != "$state_bucket" && $model_bucket != "$out_bucket" && $model_bucket != "$BUCKET" ]]; then
      run gcloud storage buckets add-iam-policy-binding "gs://$model_bucket" --member="$gsa_member" \
        --role=roles/storage.objectViewer
    fi
  done
  run gcloud pubsub subscriptions add-iam-policy-binding "$SUBSCRIPTION" --project="$PROJECT_ID" \
    --member="$gsa_member" --role=roles/pubsub.subscriber
  # Pub/Sub's own service agent moves dead letters: it publishes to the dead-letter topic and
  # acks them on the subscription (without these two bindings nothing is ever moved).
  if [[ $DRY_RUN == 1 ]]; then
    show_cmd gcloud projects describe "$PROJECT_ID" --format='value(projectNumber)'
    project_number=PROJECT_NUMBER
  else
    project_number=$(gcloud projects describe "$PROJECT_ID" --format='value(projectNumber)')
  fi
  pubsub_agent="serviceAccount:service-${project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  run gcloud pubsub topics add-iam-policy-binding "$DEAD_LETTER_TOPIC" --project="$PROJECT_ID" \
    --member="$pubsub_agent" --role=roles/pubsub.publisher
  run gcloud pubsub subscriptions add-iam-policy-binding "$SUBSCRIPTION" --project="$PROJECT_ID" \
    --member="$pubsub_agent" --role=roles/pubsub.subscriber
  run bq --project_id="$bq_project" add-iam-policy-binding --dataset --member="$gsa_member" \
    --role=roles/bigquery.dataEditor "$bq_project:$bq_dataset"
  run gcloud iam service-accounts add-iam-policy-binding "$GSA_EMAIL" --project="$PROJECT_ID" \
    --role=roles/iam.workloadIdentityUser \
    --member="serviceAccount:$PROJECT_ID.svc.id.goog[$NAMESPACE/$KSA]"
fi

log "done"
