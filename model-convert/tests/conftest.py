"""Shared fixtures. The random-weight MobileNetV2 is built and converted once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from model_convert.cli import main, shared_dir  # noqa: E402

# Measured int8-vs-fp32 logits cosine on the random-weight MobileNetV2 (alpha 1.0, seed 0,
# BatchNorm statistics and classifier bias initialised from random inputs), 32 imagenet-dev
# calibration images, evaluated on 32 other imagenet-dev images: smallest per-image cosine
# 0.61, mean 0.78 (top-1 agreement ~20-30 %: random logits are nearly tied, and the centred
# logits carry only the image-dependent part). Floors leave a margin for other CPUs. On x86 CPUs
# without VNNI verification runs with ONNX Runtime's exact int8 accumulation, as the job does
# (verify.int8_saturates): without it an AVX2-only EPYC measured min 0.22, mean 0.54.
INT8_COSINE_FLOOR = 0.5
INT8_COSINE_MEAN_FLOOR = 0.7


@pytest.fixture(scope="session")
def shared() -> Path:
    d = shared_dir()
    if not (d / "images").is_dir():
        pytest.skip(f"shared data not found at {d} (set SHARED_DIR)")
    return d


@pytest.fixture(scope="session")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A random-weight Keras MobileNetV2 (alpha 1.0, logits), saved as SavedModel, .h5 and .keras."""
    from model_convert.convert import build_keras_app

    model = build_keras_app("MobileNetV2", weights=None, alpha=1.0, seed=0)
    d = tmp_path_factory.mktemp("source")
    paths = {
        "saved_model": d / "saved_model",
        "h5": d / "mobilenetv2.h5",
        "keras": d / "mobilenetv2.keras",
    }
    model.export(str(paths["saved_model"]), verbose=False)
    model.save(paths["h5"])
    model.save(paths["keras"])
    return paths


@pytest.fixture(scope="session")
def converted_saved_model(
    random_model: dict[str, Path], shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The SavedModel converted with fp32 verification on photos and int8 quantization."""
    out = tmp_path_factory.mktemp("out-saved-model")
    rc = main(
        [
            "convert",
            str(random_model["saved_model"]),
            "--out", str(out),
            "--model-name", "mobilenetv2-keras-random",
            "--labels", "imagenet",
            "--verify-images", str(shared / "images" / "photos"),
            "--quantize", "int8",
            "--calibration-images", str(shared / "images" / "imagenet-dev"),
            "--calibration-count", "32",
            "--verify-max-images", "32",
            "--int8-min-cosine", str(INT8_COSINE_FLOOR),
            "--int8-min-top1", "none",
        ]
    )
    assert rc == 0
    return out
