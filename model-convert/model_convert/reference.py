"""Reference classification of an image with ONNX Runtime, for cross-language parity tests.

See the README ("Reference JSON") for the schema.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from .preprocess import load_image, preprocess_array
from .sidecar import read_labels, read_sidecar, sha256_file
from .verify import ort_session, softmax

SCHEMA_VERSION = 1
FIRST_VALUES = 16


def reference(model_path: str | Path, image_path: str | Path, top_k: int = 5) -> dict[str, Any]:
    import onnxruntime as ort

    model_path, image_path = Path(model_path), Path(image_path)
    sidecar = read_sidecar(model_path)
    spec = sidecar.preprocess
    labels = read_labels(model_path, sidecar)
    img = load_image(image_path)
    x = preprocess_array(img, spec)
    session = ort_session(model_path)
    out = session.run([sidecar.output_name], {sidecar.input_name: x})[0][0].astype(np.float32)
    probs = softmax(out.astype(np.float64)) if sidecar.output_kind == "logits" else out.astype(np.float64)
    order = np.argsort(-probs, kind="stable")[:top_k]
    flat = x.reshape(-1)
    return {
        "schema_version": SCHEMA_VERSION,
        "image": image_path.name,
        "image_sha256": sha256_file(image_path),
        "image_height": int(img.shape[0]),
        "image_width": int(img.shape[1]),
        "model": model_path.name,
        "model_sha256": sha256_file(model_path),
        "model_name": sidecar.model_name,
        "onnxruntime_version": ort.__version__,
        "output_kind": sidecar.output_kind,
        "input_tensor": {
            "shape": list(x.shape),
            "layout": spec.layout,
            "dtype": "float32",
            "sha256": "sha256:" + hashlib.sha256(flat.astype("<f4").tobytes()).hexdigest(),
            "sum": float(flat.astype(np.float64).sum()),
            "mean": float(flat.astype(np.float64).mean()),
            "min": float(flat.min()),
            "max": float(flat.max()),
            "first_values": [float(v) for v in flat[:FIRST_VALUES]],
        },
        "top_k": [
            {
                "rank": r + 1,
                "index": int(i),
                "label": labels[i] if labels and i < len(labels) else None,
                "probability": float(probs[i]),
                "score": float(out[i]),
            }
            for r, i in enumerate(order)
        ],
        "top1_margin": {
            "score": float(out[order[0]] - out[order[1]]) if len(order) > 1 else None,
            "probability": float(probs[order[0]] - probs[order[1]]) if len(order) > 1 else None,
        },
        "scores": [float(v) for v in out],
        "probabilities": [float(v) for v in probs],
    }


def reference_file_name(image_path: str | Path) -> str:
    return f"reference-{Path(image_path).stem}.json"
