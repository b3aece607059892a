"""Parity checks: source model (TensorFlow) vs ONNX model (ONNX Runtime)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .preprocess import PreprocessSpec, batch_from_files, list_images, random_inputs

FP32_TOLERANCE = 1e-4


# The flags of x86-64 instructions that multiply u8 x s8 without saturating 16-bit sums.
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def int8_saturates(machine: str | None = None, cpuinfo: str | None = None) -> bool:
    """Whether ONNX Runtime's int8 kernels saturate on this CPU (x86-64 without VNNI).

    Same rule as the job (``classify.Int8Precision``): there, sessions then set
    ``session.x64quantprecision``; verification does too, so it measures what the job will run.
    Unknown x86 CPUs (no /proc/cpuinfo) count as saturating: accuracy first.
    """
    import platform

    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64"):
        return False
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return True
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return not (VNNI_FLAGS & set(value.split()))
    return True


def ort_session(model_path: str | Path, threads: int = 0) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    if int8_saturates():
        opts.add_session_config_entry("session.x64quantprecision", "1")
    return ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])


def run_onnx(session: Any, x: np.ndarray, batch_size: int = 8) -> np.ndarray:
    name = session.get_inputs()[0].name
    outs = [session.run(None, {name: x[i : i + batch_size]})[0] for i in range(0, len(x), batch_size)]
    return np.concatenate(outs, axis=0)


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64).reshape(len(a), -1)
    b = b.astype(np.float64).reshape(len(b), -1)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30)


@dataclass
class Comparison:
    inputs: str  # "random" | "images"
    n: int
    max_abs_diff: float
    top1_agreement: float
    cosine_min: float
    cosine_mean: float

    @classmethod
    def of(cls, inputs: str, a: np.ndarray, b: np.ndarray) -> "Comparison":
        cos = cosine_rows(a, b)
        return cls(
            inputs=inputs,
            n=int(len(a)),
            max_abs_diff=float(np.abs(a.astype(np.float64) - b).max()) if len(a) else 0.0,
            top1_agreement=float((a.argmax(1) == b.argmax(1)).mean()) if len(a) else 1.0,
            cosine_min=float(cos.min()) if len(a) else 1.0,
            cosine_mean=float(cos.mean()) if len(a) else 1.0,
        )


@dataclass
class VerifyReport:
    kind: str  # "fp32" | "int8"
    comparisons: list[Comparison]
    passed: bool
    checks: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "passed": self.passed,
            "checks": self.checks,
            "comparisons": [asdict(c) for c in self.comparisons],
        }


def verification_inputs(
    spec: PreprocessSpec,
    random_samples: int,
    images: Sequence[Path] = (),
    seed: int = 0,
) -> list[tuple[str, np.ndarray]]:
    sets: list[tuple[str, np.ndarray]] = []
    if random_samples > 0:
        sets.append(("random", random_inputs(spec, random_samples, seed)))
    if images:
        sets.append(("images", batch_from_files(images, spec)))
    return sets


def verify_fp32(
    source_predict: Callable[[np.ndarray], np.ndarray],
    onnx_path: str | Path,
    inputs: list[tuple[str, np.ndarray]],
    tolerance: float = FP32_TOLERANCE,
) -> VerifyReport:
    """Max abs diff and top-1 agreement between source and ONNX; fail above ``tolerance``.

    Also checks that the ONNX model gives the same result for a sample alone
    (batch 1) as inside a batch, i.e. the dynamic batch dimension works.
    """
    session = ort_session(onnx_path)
    comparisons, checks, passed = [], [], True
    for label, x in inputs:
        ref = source_predict(x)
        got = run_onnx(session, x)
        c = Comparison.of(label, ref, got)
        comparisons.append(c)
        ok = c.max_abs_diff <= tolerance
        passed &= ok
        checks.append(
            f"{'ok' if ok else 'FAIL'}: {label}: max abs diff {c.max_abs_diff:.3g} "
            f"(tolerance {tolerance:g}), top-1 agreement {c.top1_agreement:.1%} over {c.n}"
        )
        if len(x) > 1:
            single = run_onnx(session, x[:1], batch_size=1)
            d = float(np.abs(single - got[:1]).max())
            ok = d <= tolerance
            passed &= ok
            checks.append(
                f"{'ok' if ok else 'FAIL'}: {label}: batch 1 vs batch {min(len(x), 8)} "
                f"max abs diff {d:.3g}"
            )
    return VerifyReport("fp32", comparisons, passed, checks)


def verify_int8(
    fp32_path: str | Path,
    int8_path: str | Path,
    inputs: list[tuple[str, np.ndarray]],
    min_cosine: float,
    min_top1: float | None,
) -> VerifyReport:
    """Cosine similarity and top-1 agreement of int8 vs fp32 ONNX outputs.

    ``min_cosine`` applies to the smallest per-sample cosine; ``min_top1``
    (skipped when None) to the top-1 agreement of each image set (of the
    random inputs when there are no images).
    """
    s32, s8 = ort_session(fp32_path), ort_session(int8_path)
    comparisons, checks, passed = [], [], True
    for label, x in inputs:
        c = Comparison.of(label, run_onnx(s32, x), run_onnx(s8, x))
        comparisons.append(c)
        ok = c.cosine_min >= min_cosine
        passed &= ok
        checks.append(
            f"{'ok' if ok else 'FAIL'}: {label}: int8 vs fp32 cosine min {c.cosine_min:.4f} "
            f"mean {c.cosine_mean:.4f} (floor {min_cosine:g}), "
            f"top-1 agreement {c.top1_agreement:.1%} over {c.n}"
        )
    if min_top1 is not None and comparisons:
        targets = [c for c in comparisons if c.inputs != "random"] or comparisons
        for target in targets:
            ok = target.top1_agreement >= min_top1
            passed &= ok
            checks.append(
                f"{'ok' if ok else 'FAIL'}: {target.inputs}: int8 top-1 agreement "
                f"{target.top1_agreement:.1%} (floor {min_top1:.0%})"
            )
    return VerifyReport("int8", comparisons, passed, checks)


def image_subset(folder: str | Path | None, limit: int, exclude: Sequence[Path] = ()) -> list[Path]:
    if folder is None:
        return []
    excluded = {p.resolve() for p in exclude}
    files = [p for p in list_images(folder) if p.resolve() not in excluded]
    if 0 < limit < len(files):
        step = len(files) / limit
        files = [files[int(i * step)] for i in range(limit)]
    return files
