#!/usr/bin/env bash
# Creates the GKE cluster (Workload Identity on) and installs cert-manager and the Flink
# Kubernetes Operator into it. Idempotent. The first deployment step: gcp-setup.sh's Workload
# Identity binding needs the identity pool this cluster creates.
set -euo pipefail

VARS=(PROJECT_ID REGION CLUSTER NAMESPACE MACHINE_TYPE NUM_NODES CERT_MANAGER_VERSION OPERATOR_VERSION NODE_SA)

usage() {
  cat <<'USAGE'
Usage: scripts/gke-setup.sh [--env-file k8s/overlays/ENV/values.env] [--dry-run] [--FLAG VALUE ...]

The first script of the GKE deployment (then gcp-setup.sh, then deploy.sh). Enables the Kubernetes Engine
API, creates, if missing, a regional GKE cluster with Workload Identity (workload pool
PROJECT_ID.svc.id.goog, GKE metadata server on its nodes), fetches its credentials for kubectl,
creates NAMESPACE (the operator's chart puts its Role and ServiceAccount there), installs
cert-manager (the operator's admission webhook needs it) and installs or upgrades the Flink
Kubernetes Operator with Helm, watching NAMESPACE. Needs gcloud, kubectl and helm.

Values (flag, or environment variable, or --env-file; flags win):
  --project-id PROJECT_ID             GCP project (required)
  --region REGION                     cluster region (default europe-west1)
  --cluster CLUSTER                   cluster name (default image-classifier)
  --namespace NAMESPACE               namespace the operator watches for the job (default image-classifier)
  --machine-type MACHINE_TYPE         node type (default e2-standard-4: 4 vCPU, 16 GB)
  --num-nodes NUM_NODES               nodes per zone (default 1, i.e. 3 in a 3-zone region)
  --node-sa NODE_SA                   the nodes' own service account, created if missing with only
                                      roles/container.defaultNodeServiceAccount (logs, metrics),
                                      instead of the Compute Engine default one (often Editor);
                                      gcp-setup.sh lets it pull from the image repository
                                      (default image-classifier-nodes@PROJECT_ID.iam.gserviceaccount.com)
  --cert-manager-version CERT_MANAGER_VERSION  (default v1.18.2)
  --operator-version OPERATOR_VERSION          Flink Kubernetes Operator release; its CRD must
                                      list flinkVersion v2_3 (default 1.14.0)
  --env-file FILE                     read unset values from FILE (an overlay's values.env)
  --dry-run                           print every command, run none
  -h, --help                          this help
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
parse_args "$@"

: "${REGION:=europe-west1}" "${CLUSTER:=image-classifier}" "${NAMESPACE:=image-classifier}"
: "${MACHINE_TYPE:=e2-standard-4}" "${NUM_NODES:=1}"
: "${CERT_MANAGER_VERSION:=v1.18.2}" "${OPERATOR_VERSION:=1.14.0}"
require PROJECT_ID
: "${NODE_SA:=image-classifier-nodes@${PROJECT_ID}.iam.gserviceaccount.com}"
need_tools gcloud kubectl helm

log "Kubernetes Engine API"
run gcloud services enable container.googleapis.com --project="$PROJECT_ID"

log "node service account $NODE_SA"
if exists gcloud iam service-accounts describe "$NODE_SA" --project="$PROJECT_ID"; then
  log "node service account exists"
else
  run gcloud iam service-accounts create "${NODE_SA%%@*}" --project="$PROJECT_ID" \
    --display-name="GKE nodes of the image classifier"
fi
# The pods have identities of their own (Workload Identity); the nodes only write logs and metrics.
run gcloud projects add-iam-policy-binding "$PROJECT_ID" --member="serviceAccount:$NODE_SA" \
  --role=roles/container.defaultNodeServiceAccount --condition=None

log "GKE cluster $CLUSTER ($REGION) with Workload Identity"
if exists gcloud container clusters describe "$CLUSTER" --project="$PROJECT_ID" --region="$REGION"; then
  log "cluster exists"
else
  run gcloud container clusters create "$CLUSTER" --project="$PROJECT_ID" --region="$REGION" \
    --workload-pool="$PROJECT_ID.svc.id.goog" --workload-metadata=GKE_METADATA \
    --machine-type="$MACHINE_TYPE" --num-nodes="$NUM_NODES" --release-channel=regular \
    --enable-ip-alias --scopes=cloud-platform --service-account="$NODE_SA"
fi
run gcloud container clusters get-credentials "$CLUSTER" --project="$PROJECT_ID" --region="$REGION"

log "namespace $NAMESPACE (the operator's Helm chart creates its Role and ServiceAccount in it)"
if exists kubectl get namespace "$NAMESPACE"; then
  log "namespace exists"
else
  run kubectl create namespace "$NAMESPACE"
fi

log "cert-manager $CERT_MANAGER_VERSION"
run kubectl apply -f "https://github.com/cert-manager/cert-manager/releases/download/$CERT_MANAGER_VERSION/cert-manager.yaml"
run kubectl -n cert-manager rollout status deployment/cert-manager-webhook --timeout=300s

log "Flink Kubernetes Operator $OPERATOR_VERSION"
run helm repo add flink-operator-repo \
  "https://downloads.apache.org/flink/flink-kubernetes-operator-$OPERATOR_VERSION/" --force-update
run helm upgrade --install flink-kubernetes-operator flink-operator-repo/flink-kubernetes-operator \
  --version="$OPERATOR_VERSION" --namespace=flink-operator --create-namespace \
  --set "watchNamespaces={$NAMESPACE}" --wait --timeout=10m
if [[ $DRY_RUN != 1 ]]; then
  enum=$(kubectl get crd flinkdeployments.flink.apache.org \
    -o jsonpath='{.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.flinkVersion.enum}')
  [[ $enum == *v2_3* ]] || die "operator $OPERATOR_VERSION does not know flinkVersion v2_3 ($enum): pick a newer --operator-version"
fi
log "done: kubectl context is $CLUSTER; next: scripts/gcp-setup.sh (its Workload Identity binding needs this cluster), then scripts/deploy.sh"
