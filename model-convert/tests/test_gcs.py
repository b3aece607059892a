"""gs:// input and --upload against an in-process GCS emulator (gcp-storage-emulator)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Iterator

import pytest

from model_convert import gcs
from model_convert.cli import main

BUCKET = "models"


@pytest.fixture()
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    server_mod = pytest.importorskip("gcp_storage_emulator.server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = server_mod.create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_split() -> None:
    assert gcs.split("gs://b/a/m.h5") == ("b", "a/m.h5")
    assert gcs.split("gs://b") == ("b", "")
    with pytest.raises(ValueError):
        gcs.split("/tmp/x")


def test_download_prefix_and_file(emulator: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "variables").mkdir(parents=True)
    (src / "saved_model.pb").write_bytes(b"pb")
    (src / "variables" / "variables.index").write_bytes(b"idx")
    gcs.upload([src / "saved_model.pb"], f"gs://{BUCKET}/sm")
    gcs.upload([src / "variables" / "variables.index"], f"gs://{BUCKET}/sm/variables/")
    got = gcs.download(f"gs://{BUCKET}/sm/", tmp_path / "dl")
    assert (got / "saved_model.pb").read_bytes() == b"pb"
    assert (got / "variables" / "variables.index").read_bytes() == b"idx"
    one = gcs.download(f"gs://{BUCKET}/sm/saved_model.pb", tmp_path / "dl1")
    assert one.name == "saved_model.pb" and one.read_bytes() == b"pb"
    with pytest.raises(FileNotFoundError):
        gcs.download(f"gs://{BUCKET}/nothing-here", tmp_path / "dl2")


def test_convert_from_and_to_gcs(emulator: str, random_model: dict[str, Path], tmp_path: Path) -> None:
    gcs.upload([random_model["h5"]], f"gs://{BUCKET}/in")
    out = tmp_path / "out"
    rc = main(
        [
            "convert", f"gs://{BUCKET}/in/{random_model['h5'].name}",
            "--out", str(out), "--random-samples", "2",
            "--upload", f"gs://{BUCKET}/converted/v1",
        ]
    )
    assert rc == 0
    names = {b.name for b in gcs.client().list_blobs(BUCKET, prefix="converted/v1/")}
    assert names == {"converted/v1/model.onnx", "converted/v1/model.onnx.json"}
    back = gcs.download(f"gs://{BUCKET}/converted/v1/model.onnx.json", tmp_path / "back")
    assert json.loads(back.read_text()) == json.loads((out / "model.onnx.json").read_text())
