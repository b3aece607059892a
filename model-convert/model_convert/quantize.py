"""int8 static quantization with ONNX Runtime, calibrated on an image folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from .preprocess import PreprocessSpec, preprocess_file


class _ImageReader:
    """ONNX Runtime CalibrationDataReader over preprocessed images (one per batch)."""

    def __init__(self, input_name: str, files: Sequence[Path], spec: PreprocessSpec) -> None:
        self._items = iter([{input_name: preprocess_file(p, spec)} for p in files])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._items, None)


def quantize_int8(
    fp32_path: Path,
    int8_path: Path,
    spec: PreprocessSpec,
    calibration_files: Sequence[Path],
    input_name: str = "input",
    per_channel: bool = True,
) -> Path:
    """Static QDQ quantization: uint8 activations, int8 weights (per channel), MinMax calibration.

    The fp32 model is first run through ``quant_pre_process`` (ONNX shape inference
    and graph optimization), as ONNX Runtime recommends.
    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not calibration_files:
        raise ValueError("int8 quantization needs calibration images")

    class Reader(_ImageReader, CalibrationDataReader):  # type: ignore[misc]
        pass

    tmp = Path(tempfile.mkdtemp(prefix="model-convert-q-"))
    try:
        prep = tmp / "prep.onnx"
        quant_pre_process(str(fp32_path), str(prep), skip_symbolic_shape=True)
        int8_path.parent.mkdir(parents=True, exist_ok=True)
        quantize_static(
            str(prep),
            str(int8_path),
            Reader(input_name, calibration_files, spec),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            calibrate_method=CalibrationMethod.MinMax,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return int8_path
