"""The sidecar JSON that the Flink job reads next to an ONNX model.

Written as ``<model file name>.json`` (``model.onnx`` -> ``model.onnx.json``).
The key set is a contract with the Java loader: keep it exactly as
:data:`SIDECAR_KEYS`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .preprocess import PreprocessSpec, spec_from_mapping

FORMAT_VERSION = 1

SIDECAR_KEYS = (
    "format_version",
    "model_name",
    "input_name",
    "output_name",
    "layout",
    "channel_order",
    "height",
    "width",
    "resize",
    "resize_shorter_side",
    "interpolation",
    "scale",
    "mean",
    "std",
    "output_kind",
    "labels",
    "source_checksum",
)
OUTPUT_KINDS = ("logits", "probabilities")


@dataclass
class Sidecar:
    model_name: str
    input_name: str
    output_name: str
    preprocess: PreprocessSpec
    output_kind: str
    source_checksum: str
    labels: str | None = None
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        p = self.preprocess
        d: dict[str, Any] = {
            "format_version": self.format_version,
            "model_name": self.model_name,
            "input_name": self.input_name,
            "output_name": self.output_name,
            "layout": p.layout,
            "channel_order": p.channel_order,
            "height": p.height,
            "width": p.width,
            "resize": p.resize,
            "resize_shorter_side": p.resize_shorter_side if p.resize == "shorter_side" else None,
            "interpolation": p.interpolation,
            "scale": p.scale,
            "mean": list(p.mean),
            "std": list(p.std),
            "output_kind": self.output_kind,
            "labels": self.labels,
            "source_checksum": self.source_checksum,
        }
        if d["labels"] is None:
            del d["labels"]  # optional key
        if d["resize_shorter_side"] is None:
            del d["resize_shorter_side"]  # only meaningful with shorter_side
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Sidecar":
        if int(d.get("format_version", 0)) != FORMAT_VERSION:
            raise ValueError(f"unsupported sidecar format_version {d.get('format_version')!r}")
        kind = str(d["output_kind"])
        if kind not in OUTPUT_KINDS:
            raise ValueError(f"output_kind must be one of {OUTPUT_KINDS}, not {kind!r}")
        return cls(
            model_name=str(d["model_name"]),
            input_name=str(d["input_name"]),
            output_name=str(d["output_name"]),
            preprocess=spec_from_mapping(d),
            output_kind=kind,
            source_checksum=str(d["source_checksum"]),
            labels=d.get("labels"),
        )


def sidecar_path(model_path: str | Path) -> Path:
    p = Path(model_path)
    return p.with_name(p.name + ".json")


def write_sidecar(model_path: str | Path, sidecar: Sidecar) -> Path:
    path = sidecar_path(model_path)
    path.write_text(json.dumps(sidecar.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def read_sidecar(model_path: str | Path) -> Sidecar:
    return Sidecar.from_dict(json.loads(sidecar_path(model_path).read_text(encoding="utf-8")))


def read_labels(model_path: str | Path, sidecar: Sidecar) -> list[str] | None:
    if not sidecar.labels:
        return None
    path = Path(model_path).parent / sidecar.labels
    return path.read_text(encoding="utf-8").splitlines()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
