"""scripts/make-java-fixture.sh produces the layout the Java parity test reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from model_convert.sidecar import SIDECAR_KEYS

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make-java-fixture.sh"


def test_help() -> None:
    res = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, check=True)
    assert "MODEL_CONVERT_FIXTURE_DIR" in res.stdout


def test_make_java_fixture(shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixture"
    env = dict(os.environ, SHARED_DIR=str(shared), PYTHON=sys.executable)
    subprocess.run([str(SCRIPT), str(out)], check=True, env=env, capture_output=True, text=True)
    for name in ("model.onnx", "model.onnx.json", "labels.txt", "images/chelsea.png",
                 "images/coffee.png", "reference-chelsea.json", "reference-coffee.json"):
        assert (out / name).is_file(), name
    sidecar = json.loads((out / "model.onnx.json").read_text())
    assert list(sidecar) == list(SIDECAR_KEYS)
    assert (sidecar["layout"], sidecar["height"], sidecar["width"]) == ("NHWC", 224, 224)
    report = json.loads((out / "conversion-report.json").read_text())
    assert report["passed"]
    tops = set()
    for stem in ("chelsea", "coffee"):
        ref = json.loads((out / f"reference-{stem}.json").read_text())
        assert (out / ref["image_path"]).is_file()
        assert ref["model_name"] == sidecar["model_name"] == "mobilenetv2-0.35-keras-random"
        tops.add(ref["top_k"][0]["index"])
        assert ref["top1_margin"]["score"] > 1e-3  # room for float differences in Java
    assert len(tops) == 2  # the random model tells the two photos apart
