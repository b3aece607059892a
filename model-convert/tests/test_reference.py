"""The `reference` subcommand: what the Java parity test compares against."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model_convert.cli import main
from model_convert.preprocess import preprocess_file
from model_convert.sidecar import read_sidecar
from model_convert.verify import ort_session, softmax


def test_reference_json(converted_saved_model: Path, shared: Path, tmp_path: Path) -> None:
    model = converted_saved_model / "model.onnx"
    photos = shared / "images" / "photos"
    images = [photos / "chelsea.png", photos / "coffee.png"]
    rc = main(["reference", "--model", str(model), "--out", str(tmp_path),
               *[a for img in images for a in ("--image", str(img))]])
    assert rc == 0
    spec = read_sidecar(model).preprocess
    session = ort_session(model)
    for img in images:
        ref = json.loads((tmp_path / f"reference-{img.stem}.json").read_text())
        assert ref["image"] == img.name and ref["schema_version"] == 1
        assert ref["input_tensor"]["shape"] == [1, 224, 224, 3]
        x = preprocess_file(img, spec)
        np.testing.assert_allclose(ref["input_tensor"]["first_values"], x.reshape(-1)[:16], rtol=1e-6)
        probs = softmax(session.run(None, {"input": x})[0][0].astype(np.float64))
        top = ref["top_k"]
        assert len(top) == 5 and top[0]["index"] == int(probs.argmax())
        assert [t["rank"] for t in top] == [1, 2, 3, 4, 5]
        assert all(a["probability"] >= b["probability"] for a, b in zip(top, top[1:]))
        np.testing.assert_allclose(ref["probabilities"], probs, rtol=1e-5, atol=1e-7)
        assert len(ref["scores"]) == 1000 and abs(sum(ref["probabilities"]) - 1) < 1e-5
        labels = (converted_saved_model / "labels.txt").read_text().splitlines()
        assert top[0]["label"] == labels[top[0]["index"]]
