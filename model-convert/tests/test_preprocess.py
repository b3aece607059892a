"""The numpy reference preprocessing (no TensorFlow needed)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from model_convert.presets import PRESETS
from model_convert.preprocess import (
    PreprocessSpec,
    center_crop,
    preprocess_array,
    resize_and_crop,
    resize_bilinear,
    resized_size,
)


def test_resized_size_floors_the_longer_side_like_torchvision() -> None:
    assert resized_size(480, 640, 256) == (256, 341)  # 341.33
    assert resized_size(640, 480, 256) == (341, 256)
    assert resized_size(300, 451, 256) == (256, 384)  # 384.85
    assert resized_size(2, 3, 1) == (1, 1)  # 1.5 floors
    assert resized_size(512, 512, 256) == (256, 256)


def test_center_crop_offset_rounds_half_to_even() -> None:
    img = np.arange(5 * 7).reshape(5, 7, 1)
    crop = center_crop(img, 2, 4)
    # offsets round(1.5)=2, round(1.5)=2 (half to even, as torchvision and Java's Math.rint)
    assert crop[0, 0, 0] == img[2, 2, 0]
    assert crop.shape == (2, 4, 1)
    crop = center_crop(img, 2, 3)
    # round(1.5)=2, round(2.0)=2
    assert crop[0, 0, 0] == img[2, 2, 0]
    img = np.arange(6 * 9).reshape(6, 9, 1)
    # round(2.5)=2 (even), round(3.5)=4 (even)
    assert center_crop(img, 1, 2)[0, 0, 0] == img[2, 4, 0]


def test_identity_resize() -> None:
    img = np.random.default_rng(0).integers(0, 256, (9, 13, 3)).astype(np.uint8)
    np.testing.assert_array_equal(resize_bilinear(img, 9, 13), img)


def test_half_pixel_centres_and_clamp() -> None:
    row = np.array([[[0.0], [100.0]]])  # 1x2
    up = resize_bilinear(row, 1, 4)[0, :, 0]
    # source x = (d + 0.5) * 0.5 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped to [0, 1]
    np.testing.assert_allclose(up, [0.0, 25.0, 75.0, 100.0])
    down = resize_bilinear(np.array([[[0.0], [10.0], [20.0], [30.0]]]), 1, 2)[0, :, 0]
    # source x = 0.5, 2.5 -> no antialias, just the two neighbours
    np.testing.assert_allclose(down, [5.0, 25.0])


def test_upsampling_matches_pil_bilinear() -> None:
    """PIL's BILINEAR does not antialias when upsampling: same as ours up to its uint8 rounding."""
    img = np.random.default_rng(1).integers(0, 256, (17, 23, 3)).astype(np.uint8)
    ours = resize_bilinear(img, 40, 50)
    pil = np.asarray(Image.fromarray(img).resize((50, 40), Image.BILINEAR)).astype(np.float64)
    assert np.abs(ours - pil).max() <= 1.0


def test_tf_preset_is_keras_mobilenetv2_preprocess_input() -> None:
    spec = replace(PRESETS["tf"], resize="stretch", height=4, width=4)
    img = np.random.default_rng(2).integers(0, 256, (4, 4, 3)).astype(np.uint8)
    x = preprocess_array(img, spec)
    np.testing.assert_allclose(x[0], img / 127.5 - 1.0, atol=1e-6)


def test_bgr_nchw_and_mean_std() -> None:
    spec = PreprocessSpec(
        layout="NCHW",
        channel_order="BGR",
        height=2,
        width=3,
        resize="stretch",
        resize_shorter_side=None,
        scale=1 / 255,
        mean=(0.1, 0.2, 0.3),
        std=(0.5, 0.25, 0.125),
    )
    img = np.zeros((2, 3, 3), np.uint8)
    img[..., 0] = 255  # red
    x = preprocess_array(img, spec)
    assert x.shape == (1, 3, 2, 3) and x.dtype == np.float32
    # channel 0 is blue now: (0 - 0.1) / 0.5; channel 2 is red: (1 - 0.3) / 0.125
    np.testing.assert_allclose(x[0, 0], -0.2, atol=1e-6)
    np.testing.assert_allclose(x[0, 1], -0.8, atol=1e-6)
    np.testing.assert_allclose(x[0, 2], 5.6, atol=1e-5)


def test_shorter_side_then_crop_shape() -> None:
    img = np.zeros((300, 451, 3), np.uint8)
    out = resize_and_crop(img, PRESETS["tf"])
    assert out.shape == (224, 224, 3)


def test_validate_rejects_bad_specs() -> None:
    with pytest.raises(ValueError):
        replace(PRESETS["tf"], layout="HWC").validate()
    with pytest.raises(ValueError):
        replace(PRESETS["tf"], resize_shorter_side=200).validate()
