"""Command line: ``python -m model_convert {convert,reference} ...``."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

DEFAULT_ONNX_NAME = "model.onnx"
INT8_ONNX_NAME = "model.int8.onnx"
REPORT_NAME = "conversion-report.json"
# Measured on random-weight MobileNetV2 (see README): smallest per-image
# int8-vs-fp32 cosine 0.61 over 32 images, mean 0.78.
RANDOM_WEIGHTS_INT8_MIN_COSINE = 0.5


def shared_dir() -> Path:
    """``$SHARED_DIR``, else ``../shared`` relative to the repository root."""
    env = os.environ.get("SHARED_DIR")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared"


def _floats3(text: str) -> tuple[float, float, float]:
    parts = [float(v) for v in text.replace(",", " ").split()]
    if len(parts) == 1:
        parts *= 3
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("give 1 or 3 numbers, e.g. 0.5 or 0.485,0.456,0.406")
    return (parts[0], parts[1], parts[2])


def _scale(text: str) -> float:
    if "/" in text:
        num, den = text.split("/", 1)
        return float(num) / float(den)
    return float(text)


def _optional_fraction(text: str) -> float | str | None:
    if text.lower() == "auto":
        return "auto"
    return None if text.lower() in ("none", "off") else float(text)


def build_parser() -> argparse.ArgumentParser:
    from .presets import PRESETS

    p = argparse.ArgumentParser(
        prog="python -m model_convert",
        description="Convert a TensorFlow/Keras image classifier to ONNX plus the Flink job's "
        "sidecar JSON, and verify the conversion.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser(
        "convert",
        help="convert a model (SavedModel dir, .h5, .keras, gs://..., or --keras-app)",
        description="Convert a model and write OUT/model.onnx, OUT/model.onnx.json "
        "(sidecar), OUT/labels.txt and OUT/conversion-report.json.",
    )
    c.add_argument("source", nargs="?", help="SavedModel directory, .h5/.keras file, or gs:// URI")
    c.add_argument("--keras-app", metavar="NAME", help="build a Keras application, e.g. MobileNetV2")
    c.add_argument("--weights", default="imagenet", help="Keras application weights: imagenet (download) or none (random)")
    c.add_argument("--alpha", type=float, default=1.0, help="width multiplier for MobileNet* applications")
    c.add_argument("--seed", type=int, default=0, help="seed for random weights and random verification inputs")
    c.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    c.add_argument("--onnx-name", default=DEFAULT_ONNX_NAME, help="ONNX file name (default: model.onnx)")
    c.add_argument("--model-name", help="model_name in the sidecar (default: from the source)")
    c.add_argument("--opset", type=int, default=17)
    c.add_argument("--signature", default="serving_default", help="SavedModel signature")
    c.add_argument("--input-key", help="SavedModel signature input, when it has several")
    c.add_argument("--output-key", help="SavedModel signature output, when it has several")
    g = c.add_argument_group("preprocessing (what the source model expects; written to the sidecar)")
    g.add_argument("--preset", choices=sorted(PRESETS), help="tf: x/127.5-1 (Keras MobileNetV2; default), torch: ImageNet mean/std, caffe: BGR minus means, raw: 0..255")
    g.add_argument("--channel-order", choices=["RGB", "BGR"])
    g.add_argument("--scale", type=_scale, help="pixel (0..255) * scale, e.g. 1/255")
    g.add_argument("--mean", type=_floats3, help="per channel, after scaling")
    g.add_argument("--std", type=_floats3, help="per channel, after scaling")
    g.add_argument("--resize", choices=["shorter_side", "stretch"])
    g.add_argument("--resize-shorter-side", type=int)
    g.add_argument("--height", type=int, help="only for sources with dynamic spatial dims")
    g.add_argument("--width", type=int, help="only for sources with dynamic spatial dims")
    g.add_argument("--output-kind", choices=["auto", "logits", "probabilities"], default="auto")
    c.add_argument("--labels", help="labels file (one class per line) copied next to the model as labels.txt; 'imagenet' = $SHARED_DIR/labels/imagenet_classes.txt")
    v = c.add_argument_group("verification")
    v.add_argument("--verify", action=argparse.BooleanOptionalAction, default=True, help="compare source and ONNX outputs (default: on)")
    v.add_argument("--verify-images", type=Path, help="also compare on this folder's images")
    v.add_argument("--verify-max-images", type=int, default=16)
    v.add_argument("--random-samples", type=int, default=4)
    v.add_argument("--tolerance", type=float, default=1e-4, help="fp32 max abs diff (default 1e-4)")
    q = c.add_argument_group("int8 quantization")
    q.add_argument("--quantize", choices=["int8"], help="also write model.int8.onnx (static QDQ)")
    q.add_argument("--calibration-images", type=Path, help="image folder for calibration")
    q.add_argument("--calibration-count", type=int, default=32)
    q.add_argument("--int8-min-cosine", type=float, default=None, help="floor for the smallest per-image int8-vs-fp32 cosine similarity (default 0.93; 0.5 with --weights none)")
    q.add_argument("--int8-min-top1", type=_optional_fraction, default="auto", help="floor for int8-vs-fp32 top-1 agreement on images; 'none' to only report it (auto: 0.95, none for --weights none)")
    c.add_argument("--upload", metavar="GS_URI", help="upload the results under this gs:// prefix")

    r = sub.add_parser(
        "reference",
        help="classify images with ONNX Runtime using the sidecar; write reference JSON",
    )
    r.add_argument("--model", type=Path, required=True, help="ONNX file with its sidecar next to it")
    r.add_argument("--image", type=Path, action="append", required=True, help="image file (repeatable)")
    r.add_argument("--out", type=Path, help="output JSON (one image) or folder (several images)")
    r.add_argument("--top-k", type=int, default=5)
    return p


def _log(msg: str) -> None:
    print(f"[model-convert] {msg}", file=sys.stderr, flush=True)


def _resolve_labels(arg: str | None) -> Path | None:
    if arg is None:
        return None
    if arg == "imagenet":
        return shared_dir() / "labels" / "imagenet_classes.txt"
    return Path(arg)


def cmd_convert(a: argparse.Namespace) -> int:
    from . import gcs
    from .convert import (
        guess_output_kind,
        load_keras_app,
        load_source,
        resolve_input_shape,
        tempdir,
        to_onnx,
    )
    from .presets import PRESETS
    from .preprocess import random_inputs
    from .sidecar import Sidecar, write_sidecar

    if bool(a.source) == bool(a.keras_app):
        raise SystemExit("give either a source path or --keras-app NAME")
    if a.quantize and not a.calibration_images:
        raise SystemExit("--quantize int8 needs --calibration-images DIR")

    # 1. load the source
    if a.keras_app:
        weights = None if a.weights.lower() == "none" else a.weights
        _log(f"building Keras application {a.keras_app} (weights={weights}, alpha={a.alpha})")
        source = load_keras_app(a.keras_app, weights, alpha=a.alpha, seed=a.seed)
        random_weights = weights is None
    else:
        src = a.source
        if gcs.is_gcs(src):
            _log(f"downloading {src}")
            src = str(gcs.download(src, tempdir()))
        _log(f"loading {src}")
        source = load_source(
            src, signature=a.signature, input_key=a.input_key, output_key=a.output_key
        )
        random_weights = False

    # 2. preprocessing spec
    layout, h, w, sample_shape = resolve_input_shape(source, a.height, a.width)
    preset_name = a.preset or source.preset_hint or "tf"
    if not a.preset and not source.preset_hint:
        _log("no --preset given: assuming Keras 'tf' preprocessing (x/127.5 - 1, as MobileNetV2)")
    spec = replace(PRESETS[preset_name], layout=layout, height=h, width=w)
    overrides: dict[str, Any] = {
        k: getattr(a, k)
        for k in ("channel_order", "scale", "mean", "std", "resize", "resize_shorter_side")
        if getattr(a, k) is not None
    }
    if "resize_shorter_side" not in overrides and spec.resize_shorter_side is not None:
        # keep the usual 256/224 ratio for other input sizes
        overrides["resize_shorter_side"] = max(round(max(h, w) * 256 / 224), max(h, w))
    spec = replace(spec, **overrides)
    spec.validate()

    output_kind = a.output_kind
    if output_kind == "auto":
        output_kind = guess_output_kind(source, random_inputs(spec, 2, a.seed))
        _log(f"output kind: {output_kind}")

    # 3. convert
    out_dir: Path = a.out
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / a.onnx_name
    model_name = a.model_name or source.default_name
    _log(f"converting to {onnx_path} (opset {a.opset})")
    to_onnx(
        source,
        onnx_path,
        sample_shape,
        opset=a.opset,
        metadata={"model_name": model_name, "source_checksum": source.checksum},
    )

    labels_name = None
    labels_path = _resolve_labels(a.labels)
    if labels_path is not None:
        labels_name = "labels.txt"
        n_labels = len(labels_path.read_text(encoding="utf-8").splitlines())
        n_out = int(source.predict(random_inputs(spec, 1, a.seed)).shape[-1])
        if n_labels != n_out:
            raise SystemExit(f"{labels_path} has {n_labels} lines but the model has {n_out} outputs")
        if labels_path.resolve() != (out_dir / labels_name).resolve():
            shutil.copyfile(labels_path, out_dir / labels_name)

    sidecar = Sidecar(
        model_name=model_name,
        input_name="input",
        output_name="output",
        preprocess=spec,
        output_kind=output_kind,
        source_checksum=source.checksum,
        labels=labels_name,
    )
    written = [onnx_path, write_sidecar(onnx_path, sidecar)]
    if labels_name:
        written.append(out_dir / labels_name)
    report: dict[str, Any] = {"model": onnx_path.name, "sidecar": sidecar.to_dict()}
    passed = True

    # 4. verify
    if a.verify:
        from .verify import image_subset, verification_inputs, verify_fp32

        images = image_subset(a.verify_images, a.verify_max_images)
        inputs = verification_inputs(spec, a.random_samples, images, a.seed)
        rep = verify_fp32(source.predict, onnx_path, inputs, a.tolerance)
        for line in rep.checks:
            _log(line)
        report["fp32"] = rep.to_dict()
        passed &= rep.passed

    # 5. quantize
    if a.quantize == "int8":
        from .preprocess import batch_from_files, list_images
        from .quantize import quantize_int8
        from .verify import image_subset, verification_inputs, verify_int8

        calib = list_images(a.calibration_images, a.calibration_count)
        int8_path = out_dir / INT8_ONNX_NAME
        _log(f"quantizing to {int8_path} with {len(calib)} calibration images")
        quantize_int8(onnx_path, int8_path, spec, calib, input_name="input")
        int8_sidecar = replace(sidecar, model_name=model_name + "-int8")
        written += [int8_path, write_sidecar(int8_path, int8_sidecar)]
        if a.verify:
            # Images only: random tensors fall outside the calibrated activation
            # ranges, so they say little about int8 accuracy (used only when no
            # image is left over).
            holdout = image_subset(a.calibration_images, a.verify_max_images, exclude=calib)
            inputs = []
            if holdout:
                inputs.append(("calibration-holdout", batch_from_files(holdout, spec)))
            if a.verify_images:
                images = image_subset(a.verify_images, a.verify_max_images, exclude=calib)
                inputs += verification_inputs(spec, 0, images, a.seed)
            if not inputs:
                inputs = verification_inputs(spec, a.random_samples, (), a.seed)
            min_cosine = a.int8_min_cosine
            if min_cosine is None:
                min_cosine = RANDOM_WEIGHTS_INT8_MIN_COSINE if random_weights else 0.93
            min_top1 = a.int8_min_top1
            if min_top1 == "auto":
                min_top1 = None if random_weights else 0.95
            rep = verify_int8(onnx_path, int8_path, inputs, min_cosine, min_top1)
            for line in rep.checks:
                _log(line)
            report["int8"] = rep.to_dict()
            passed &= rep.passed

    report["passed"] = passed
    (out_dir / REPORT_NAME).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not passed:
        _log(f"verification FAILED; see {out_dir / REPORT_NAME}")
        return 1

    # 6. upload
    if a.upload:
        for uri in gcs.upload(written, a.upload):
            _log(f"uploaded {uri}")
    _log(f"done: {', '.join(str(p) for p in written)}")
    return 0


def cmd_reference(a: argparse.Namespace) -> int:
    from .reference import reference, reference_file_name

    results = [(img, reference(a.model, img, a.top_k)) for img in a.image]
    for img, res in results:
        if a.out is None:
            print(json.dumps(res, indent=2))
            continue
        if len(results) == 1 and a.out.suffix == ".json":
            target = a.out
        else:
            target = a.out / reference_file_name(img)
        target.parent.mkdir(parents=True, exist_ok=True)
        res["image_path"] = Path(os.path.relpath(img.resolve(), target.parent.resolve())).as_posix()
        target.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        top = res["top_k"][0]
        _log(f"{img.name}: top-1 {top['index']} {top['label']!r} p={top['probability']:.4f} -> {target}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "convert":
        return cmd_convert(args)
    return cmd_reference(args)
