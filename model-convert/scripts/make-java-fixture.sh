#!/usr/bin/env bash
# Build the fixture for the Java cross-language parity test.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: model-convert/scripts/make-java-fixture.sh [--shared-dir DIR] OUTDIR

Builds a random-weight Keras MobileNetV2 (alpha 0.35, 224x224 NHWC, logits,
seed 0), converts it to OUTDIR/model.onnx with its sidecar (checking TF-vs-ONNX
parity on the photos), and writes ONNX Runtime (Python) reference results for
chelsea.png and coffee.png. Point the Java test at it with
MODEL_CONVERT_FIXTURE_DIR=OUTDIR.

OUTDIR afterwards:
  model.onnx                  the converted model (input "input" [N,224,224,3])
  model.onnx.json             the sidecar
  labels.txt                  ImageNet labels (copied from SHARED_DIR)
  conversion-report.json      the verification report
  images/chelsea.png          the input photos (copied from SHARED_DIR)
  images/coffee.png
  reference-chelsea.json      Python reference results (schema in README.md)
  reference-coffee.json

Options:
  --shared-dir DIR   shared data folder (default: $SHARED_DIR, else ../shared
                     relative to the repository root)
  -h, --help         this help

Env: PYTHON (interpreter used to create model-convert/.venv, must be 3.11).
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "$here/.." && pwd)"
shared="${SHARED_DIR:-$repo_root/../shared}"
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --shared-dir) shared="$2"; shift 2 ;;
    --shared-dir=*) shared="${1#*=}"; shift ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) if [[ -n "$out" ]]; then echo "only one OUTDIR" >&2; exit 2; fi; out="$1"; shift ;;
  esac
done
if [[ -z "$out" ]]; then usage >&2; exit 2; fi

photos="$shared/images/photos"
labels="$shared/labels/imagenet_classes.txt"
for f in "$photos/chelsea.png" "$photos/coffee.png" "$labels"; do
  [[ -f "$f" ]] || { echo "missing $f (set SHARED_DIR or --shared-dir)" >&2; exit 1; }
done

python="$("$here/scripts/ensure-venv.sh")"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
mkdir -p "$out/images"
out="$(cd "$out" && pwd)"

echo "==> building and converting a random-weight MobileNetV2 (alpha 0.35, seed 0) into $out"
"$python" -m model_convert convert \
  --keras-app MobileNetV2 --weights none --alpha 0.35 --seed 0 \
  --model-name mobilenetv2-0.35-keras-random \
  --labels "$labels" \
  --verify-images "$photos" \
  --out "$out"

echo "==> copying the photos to $out/images"
install -m 0644 "$photos/chelsea.png" "$photos/coffee.png" "$out/images/"

echo "==> writing ONNX Runtime reference results"
"$python" -m model_convert reference \
  --model "$out/model.onnx" \
  --image "$out/images/chelsea.png" \
  --image "$out/images/coffee.png" \
  --out "$out"

echo "==> fixture ready: MODEL_CONVERT_FIXTURE_DIR=$out"
ls -l "$out" "$out/images"
