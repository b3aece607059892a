"""Reference image preprocessing, in plain numpy.

This module is the single definition of how an image becomes the model's input
tensor. The Java loader in the Flink job implements the same steps, and the
cross-language parity test compares the two, so every step is spelled out here
without relying on an imaging library's resize (PIL antialiases when it
downsamples, OpenCV is not a dependency):

1. Decode to 8-bit RGB (PIL is used only to decode).
2. Resize with bilinear interpolation, half-pixel centres, no antialiasing,
   edge clamping (OpenCV ``INTER_LINEAR`` semantics). The result is kept as
   float (not rounded back to 8 bits).

   * ``resize == "shorter_side"``: the shorter side becomes
     ``resize_shorter_side``; the other side becomes
     ``floor(other * target / shorter)`` (computed exactly in integers);
     then a centre crop of ``height x width`` at offset
     ``round((size - crop) / 2)``, rounding halves to even. Both as
     torchvision's ``Resize(S)`` + ``CenterCrop``, which the ImageNet models
     were evaluated with.
   * ``resize == "stretch"``: straight to ``height x width``, no crop.

   For an output coordinate ``d`` the source coordinate is
   ``s = (d + 0.5) * in / out - 0.5`` clamped to ``[0, in - 1]``;
   ``i0 = floor(s)``, ``i1 = min(i0 + 1, in - 1)``, ``t = s - i0``, and the value
   is ``(1 - t) * p[i0] + t * p[i1]`` (rows first, then columns; bilinear is
   separable so the order does not change the result beyond rounding).
3. Channel order: RGB or BGR (swap after resizing).
4. ``v = pixel * scale``, then ``(v - mean[c]) / std[c]`` per channel.
5. Layout: NHWC (as is) or NCHW (transpose), with a batch dimension of 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")


@dataclass(frozen=True)
class PreprocessSpec:
    """The preprocessing part of the sidecar."""

    layout: str = "NHWC"
    channel_order: str = "RGB"
    height: int = 224
    width: int = 224
    resize: str = "shorter_side"
    resize_shorter_side: int | None = 256
    interpolation: str = "bilinear"
    scale: float = 1.0 / 255.0
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    def validate(self) -> None:
        if self.layout not in ("NHWC", "NCHW"):
            raise ValueError(f"layout must be NHWC or NCHW, not {self.layout!r}")
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError(f"channel_order must be RGB or BGR, not {self.channel_order!r}")
        if self.resize not in ("shorter_side", "stretch"):
            raise ValueError(f"resize must be shorter_side or stretch, not {self.resize!r}")
        if self.interpolation != "bilinear":
            raise ValueError("only bilinear interpolation is supported")
        if self.height <= 0 or self.width <= 0:
            raise ValueError("height and width must be positive")
        if self.resize == "shorter_side":
            if self.resize_shorter_side is None:
                raise ValueError("resize=shorter_side needs resize_shorter_side")
            if self.resize_shorter_side < max(self.height, self.width):
                raise ValueError(
                    "resize_shorter_side must be at least max(height, width) "
                    f"({self.resize_shorter_side} < {max(self.height, self.width)})"
                )
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError("mean and std need 3 values")
        if any(s == 0 for s in self.std):
            raise ValueError("std values must be non-zero")

    def input_shape(self, batch: int = 1) -> tuple[int, int, int, int]:
        if self.layout == "NHWC":
            return (batch, self.height, self.width, 3)
        return (batch, 3, self.height, self.width)


def load_image(path: str | Path) -> np.ndarray:
    """Decode an image file to a ``uint8`` array of shape ``(H, W, 3)``, RGB."""
    from PIL import Image  # local import: only decoding needs PIL

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def resized_size(h: int, w: int, target: int) -> tuple[int, int]:
    """Size after resizing so that the shorter side is ``target``.

    The other side is ``floor(other * target / shorter)``, computed exactly
    with integers (torchvision's rule).
    """
    if h <= w:
        return target, (w * target) // h
    return (h * target) // w, target


def _axis_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.arange(n_out, dtype=np.float64)
    s = (d + 0.5) * (n_in / n_out) - 0.5
    s = np.clip(s, 0.0, n_in - 1)
    i0 = np.floor(s).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    t = s - i0
    return i0, i1, t


def resize_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize, half-pixel centres, no antialias, clamped edges.

    ``img`` is ``(H, W, C)`` of any numeric dtype; returns float64 ``(out_h, out_w, C)``.
    """
    if img.ndim != 3:
        raise ValueError("expected an (H, W, C) image")
    src = img.astype(np.float64)
    h, w = src.shape[:2]
    y0, y1, ty = _axis_weights(h, out_h)
    x0, x1, tx = _axis_weights(w, out_w)
    ty = ty[:, None, None]
    rows = (1.0 - ty) * src[y0] + ty * src[y1]  # (out_h, W, C)
    tx = tx[None, :, None]
    return (1.0 - tx) * rows[:, x0] + tx * rows[:, x1]


def center_crop(img: np.ndarray, crop_h: int, crop_w: int) -> np.ndarray:
    h, w = img.shape[:2]
    if crop_h > h or crop_w > w:
        raise ValueError(f"cannot crop {crop_h}x{crop_w} from {h}x{w}")
    # round-half-even, as torchvision's CenterCrop and Java's Math.rint
    top = round((h - crop_h) / 2)
    left = round((w - crop_w) / 2)
    return img[top : top + crop_h, left : left + crop_w]


def resize_and_crop(img: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Steps 2 of the module doc: returns float64 ``(height, width, 3)`` RGB pixels 0..255."""
    if spec.resize == "stretch":
        return resize_bilinear(img, spec.height, spec.width)
    assert spec.resize_shorter_side is not None
    h, w = img.shape[:2]
    rh, rw = resized_size(h, w, spec.resize_shorter_side)
    return center_crop(resize_bilinear(img, rh, rw), spec.height, spec.width)


def normalize(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Steps 3-5: ``(H, W, 3)`` RGB pixels 0..255 -> float32 tensor with batch 1."""
    x = pixels.astype(np.float64)
    if spec.channel_order == "BGR":
        x = x[..., ::-1]
    x = x * spec.scale
    x = (x - np.asarray(spec.mean, dtype=np.float64)) / np.asarray(spec.std, dtype=np.float64)
    x = x.astype(np.float32)
    if spec.layout == "NCHW":
        x = np.transpose(x, (2, 0, 1))
    return np.ascontiguousarray(x[None, ...])


def preprocess_array(img: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Full preprocessing of a decoded ``uint8`` RGB image -> float32 ``[1, ...]``."""
    return normalize(resize_and_crop(img, spec), spec)


def preprocess_file(path: str | Path, spec: PreprocessSpec) -> np.ndarray:
    return preprocess_array(load_image(path), spec)


def list_images(folder: str | Path, limit: int | None = None) -> list[Path]:
    """Image files of a folder, sorted by name; with ``limit``, an evenly spread subset."""
    files = sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if limit is not None and 0 < limit < len(files):
        step = len(files) / limit
        files = [files[math.floor(i * step)] for i in range(limit)]
    return files


def batch_from_files(paths: Iterable[Path], spec: PreprocessSpec) -> np.ndarray:
    arrays = [preprocess_file(p, spec) for p in paths]
    if not arrays:
        return np.zeros((0,) + spec.input_shape()[1:], dtype=np.float32)
    return np.concatenate(arrays, axis=0)


def random_inputs(spec: PreprocessSpec, n: int, seed: int = 0) -> np.ndarray:
    """Random tensors in the model's input space: uniform pixels 0..255, normalized."""
    rng = np.random.default_rng(seed)
    pixels = rng.uniform(0.0, 255.0, size=(n, spec.height, spec.width, 3))
    return np.concatenate([normalize(p, spec) for p in pixels], axis=0)


def spec_from_mapping(m: dict) -> PreprocessSpec:
    def triple(v: Sequence[float]) -> tuple[float, float, float]:
        a, b, c = (float(x) for x in v)
        return (a, b, c)

    spec = PreprocessSpec(
        layout=str(m["layout"]),
        channel_order=str(m["channel_order"]),
        height=int(m["height"]),
        width=int(m["width"]),
        resize=str(m["resize"]),
        resize_shorter_side=(
            int(m["resize_shorter_side"]) if m.get("resize_shorter_side") is not None else None
        ),
        interpolation=str(m.get("interpolation", "bilinear")),
        scale=float(m["scale"]),
        mean=triple(m["mean"]),
        std=triple(m["std"]),
    )
    spec.validate()
    return spec
