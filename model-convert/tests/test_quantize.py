"""int8 static quantization calibrated on imagenet-dev: int8-vs-fp32 similarity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from conftest import INT8_COSINE_FLOOR, INT8_COSINE_MEAN_FLOOR
from model_convert.sidecar import read_sidecar
from model_convert.verify import ort_session


def test_int8_similarity(converted_saved_model: Path) -> None:
    out = converted_saved_model
    report = json.loads((out / "conversion-report.json").read_text())
    int8 = report["int8"]
    assert int8["passed"], int8["checks"]
    comps = {c["inputs"]: c for c in int8["comparisons"]}
    holdout = comps["calibration-holdout"]
    assert holdout["n"] == 32  # imagenet-dev images not used for calibration
    assert comps["images"]["n"] == 6  # the photos given with --verify-images
    assert "random" not in comps  # random tensors are outside the calibrated ranges
    for c in comps.values():
        assert c["cosine_min"] >= INT8_COSINE_FLOOR
        assert c["cosine_mean"] >= INT8_COSINE_MEAN_FLOOR
    # Random weights: logits nearly tied, so top-1 agreement is only reported, not asserted.
    assert 0.0 <= holdout["top1_agreement"] <= 1.0


def test_int8_model_and_sidecar(converted_saved_model: Path) -> None:
    out = converted_saved_model
    fp32, int8 = read_sidecar(out / "model.onnx"), read_sidecar(out / "model.int8.onnx")
    assert int8.model_name == fp32.model_name + "-int8"
    assert int8.preprocess == fp32.preprocess and int8.source_checksum == fp32.source_checksum
    assert (out / "model.int8.onnx").stat().st_size < (out / "model.onnx").stat().st_size / 2
    y = ort_session(out / "model.int8.onnx").run(None, {"input": np.zeros((2, 224, 224, 3), np.float32)})[0]
    assert y.shape == (2, 1000)


def test_int8_saturation_rule() -> None:
    from model_convert.verify import int8_saturates

    avx2 = "processor\t: 0\nflags\t\t: fpu sse2 fma avx avx2\n"
    vnni = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n"
    assert int8_saturates("x86_64", avx2)
    assert not int8_saturates("x86_64", vnni)
    assert not int8_saturates("x86_64", "flags : avx2 avx_vnni")
    assert int8_saturates("x86_64", "processor : 0")  # unknown: accuracy first
    assert not int8_saturates("aarch64", avx2)
