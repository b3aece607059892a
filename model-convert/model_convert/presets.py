"""Named preprocessing presets (how a source model expects its input).

They mirror the modes of ``keras.applications.imagenet_utils.preprocess_input``:

* ``tf``: x / 127.5 - 1 (range [-1, 1]); Keras MobileNet, MobileNetV2,
  Inception, Xception. Expressed as scale 1/255, mean 0.5, std 0.5.
* ``torch``: x / 255, then ImageNet mean/std (most PyTorch / ONNX zoo models).
* ``caffe``: RGB -> BGR, subtract the ImageNet BGR means, no scaling
  (Keras ResNet50, VGG16).
* ``raw``: pixels 0..255 as they are (models that normalize inside the graph,
  such as Keras EfficientNet and MobileNetV3).
"""

from __future__ import annotations

from dataclasses import replace

from .preprocess import PreprocessSpec

_BASE = PreprocessSpec()

PRESETS: dict[str, PreprocessSpec] = {
    "tf": replace(_BASE, scale=1.0 / 255.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    "torch": replace(
        _BASE, scale=1.0 / 255.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)
    ),
    "caffe": replace(
        _BASE,
        channel_order="BGR",
        scale=1.0,
        mean=(103.939, 116.779, 123.68),
        std=(1.0, 1.0, 1.0),
    ),
    "raw": replace(_BASE, scale=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)),
}
