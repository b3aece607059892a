"""SavedModel / .h5 / .keras -> ONNX, with the built-in fp32 parity check, plus sidecar checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from model_convert.cli import main
from model_convert.sidecar import SIDECAR_KEYS, read_sidecar, sha256_file
from model_convert.verify import ort_session


def _report(out: Path) -> dict:
    return json.loads((out / "conversion-report.json").read_text())


def _check_fp32(report: dict, expect_images: bool) -> None:
    fp32 = report["fp32"]
    assert fp32["passed"], fp32["checks"]
    kinds = {c["inputs"]: c for c in fp32["comparisons"]}
    assert "random" in kinds
    if expect_images:
        assert kinds["images"]["n"] == 6
    for c in kinds.values():
        assert c["max_abs_diff"] <= 1e-4
        assert c["top1_agreement"] == 1.0


def _check_onnx(path: Path) -> None:
    model = onnx.load(str(path))
    (inp,) = model.graph.input
    (out,) = model.graph.output
    assert inp.name == "input" and out.name == "output"
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and not dims[0].HasField("dim_value")
    assert [d.dim_value for d in dims[1:]] == [224, 224, 3]
    session = ort_session(path)
    for batch in (1, 3):
        y = session.run(None, {"input": np.zeros((batch, 224, 224, 3), np.float32)})[0]
        assert y.shape == (batch, 1000)


def test_saved_model_fp32(converted_saved_model: Path, random_model: dict[str, Path]) -> None:
    out = converted_saved_model
    _check_fp32(_report(out), expect_images=True)
    _check_onnx(out / "model.onnx")
    raw = json.loads((out / "model.onnx.json").read_text())
    assert list(raw) == list(SIDECAR_KEYS)
    assert raw["source_checksum"] == sha256_file(random_model["saved_model"] / "saved_model.pb")
    assert raw["labels"] == "labels.txt" and (out / "labels.txt").exists()
    # Keras MobileNetV2: NHWC, RGB, x/127.5 - 1, logits (classifier_activation=None)
    assert raw["layout"] == "NHWC" and raw["channel_order"] == "RGB"
    assert raw["scale"] == pytest.approx(1 / 255) and raw["mean"] == [0.5] * 3 and raw["std"] == [0.5] * 3
    assert raw["resize"] == "shorter_side" and raw["resize_shorter_side"] == 256
    assert raw["output_kind"] == "logits"
    assert raw["model_name"] == "mobilenetv2-keras-random"


def test_h5_fp32(random_model: dict[str, Path], shared: Path, tmp_path: Path) -> None:
    rc = main(
        [
            "convert", str(random_model["h5"]),
            "--out", str(tmp_path),
            "--verify-images", str(shared / "images" / "photos"),
        ]
    )
    assert rc == 0
    _check_fp32(_report(tmp_path), expect_images=True)
    _check_onnx(tmp_path / "model.onnx")
    sc = read_sidecar(tmp_path / "model.onnx")
    assert sc.source_checksum == sha256_file(random_model["h5"])
    assert sc.model_name == "mobilenetv2" and sc.labels is None


def test_keras_file_fp32(random_model: dict[str, Path], tmp_path: Path) -> None:
    rc = main(["convert", str(random_model["keras"]), "--out", str(tmp_path), "--onnx-name", "m.onnx"])
    assert rc == 0
    _check_fp32(_report(tmp_path), expect_images=False)
    assert (tmp_path / "m.onnx.json").exists()


def test_softmax_nchw_model_and_failing_tolerance(tmp_path: Path) -> None:
    """A small channels-first model ending in softmax: layout NCHW, output_kind probabilities;
    an impossible tolerance makes the conversion fail (exit 1)."""
    import keras

    keras.utils.set_random_seed(1)
    inp = keras.Input((3, 32, 32))
    x = keras.layers.Permute((2, 3, 1))(inp)
    x = keras.layers.Conv2D(8, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(5, activation="softmax")(x)
    src = tmp_path / "tiny.keras"
    keras.Model(inp, out).save(src)

    labels = tmp_path / "tiny-labels.txt"
    labels.write_text("a\nb\nc\nd\ne\n")
    out_dir = tmp_path / "out"
    args = ["convert", str(src), "--out", str(out_dir), "--preset", "torch", "--resize", "stretch",
            "--labels", str(labels)]
    assert main(args) == 0
    sc = json.loads((out_dir / "model.onnx.json").read_text())
    assert sc["layout"] == "NCHW" and sc["output_kind"] == "probabilities"
    assert sc["height"] == 32 and sc["resize"] == "stretch" and "resize_shorter_side" not in sc
    assert sc["mean"] == [0.485, 0.456, 0.406]
    assert (out_dir / "labels.txt").read_text().splitlines()[4] == "e"

    assert main(args + ["--tolerance", "-1"]) == 1  # an impossible tolerance fails the conversion
    assert json.loads((out_dir / "conversion-report.json").read_text())["passed"] is False
    with pytest.raises(SystemExit):
        main(["convert", str(src), "--out", str(out_dir), "--labels", "imagenet"])  # 1000 != 5
