"""Load a TensorFlow / Keras source model and convert it to ONNX with tf2onnx.

The conversion always goes through a ``tf.function`` with an explicit input
signature ``[None, H, W, C]`` (or ``[None, C, H, W]``) and
``tf2onnx.convert.from_function``: this works the same for Keras 3 models,
``.h5`` files and SavedModels, and gives the ONNX graph fixed input/output
names and a dynamic batch dimension. (``tf2onnx.convert.from_keras`` does not
support Keras 3.)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .presets import PRESETS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output"

# Keras applications we know how to build, with the preprocessing their
# preprocess_input applies (see presets.py) and whether they take ``alpha``.
KERAS_APPS: dict[str, tuple[str, bool]] = {
    "MobileNet": ("tf", True),
    "MobileNetV2": ("tf", True),
    "MobileNetV3Small": ("raw", True),
    "MobileNetV3Large": ("raw", True),
    "ResNet50": ("caffe", False),
    "EfficientNetB0": ("raw", False),
    "InceptionV3": ("tf", False),
}


@dataclass
class SourceModel:
    """A loaded source model, callable on a float32 batch."""

    kind: str  # "keras" | "saved_model" | "keras_app"
    fn: Callable[[Any], Any]  # TF callable: batch tensor -> output tensor
    input_shape: tuple[int | None, ...]  # without the batch dimension
    checksum: str
    default_name: str
    preset_hint: str | None = None  # preprocessing preset implied by the source, if known
    keepalive: list[Any] = field(default_factory=list)  # objects that own the variables

    @property
    def layout(self) -> str:
        shape = self.input_shape
        if len(shape) != 3:
            raise ValueError(f"expected an image input of rank 4, got batch + {shape}")
        if shape[-1] in (1, 3):
            return "NHWC"
        if shape[0] in (1, 3):
            return "NCHW"
        raise ValueError(f"cannot tell the layout of input shape {shape}")

    def spatial(self) -> tuple[int | None, int | None]:
        if self.layout == "NHWC":
            return self.input_shape[0], self.input_shape[1]
        return self.input_shape[1], self.input_shape[2]

    def predict(self, x: np.ndarray, batch_size: int = 8) -> np.ndarray:
        import tensorflow as tf

        outs = []
        for i in range(0, len(x), batch_size):
            outs.append(np.asarray(self.fn(tf.constant(x[i : i + batch_size]))))
        return np.concatenate(outs, axis=0)


def _weights_checksum(model: Any) -> str:
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(np.asarray(w), dtype="<f4").tobytes())
    return "sha256:" + h.hexdigest()


def _sha256_file(path: Path) -> str:
    from .sidecar import sha256_file

    return sha256_file(path)


def _keras_source(model: Any, kind: str, checksum: str, name: str, preset: str | None) -> SourceModel:
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError("only models with one input and one output are supported")
    shape = tuple(model.inputs[0].shape)[1:]

    def fn(x: Any) -> Any:
        return model(x, training=False)

    return SourceModel(kind, fn, shape, checksum, name, preset, [model])


def calibrate_random_model(model: Any, seed: int = 0, n: int = 16) -> None:
    """Data-dependent initialisation of a random-weight model, on one batch of
    uniform random inputs in [-1, 1] (deterministic for a seed).

    * Every BatchNormalization gets the batch's statistics as its moving mean
      and variance. A freshly initialised MobileNetV2 (moving mean 0, variance
      1) shrinks its activations layer after layer, so its logits are ~1e-10
      and every parity check would pass trivially.
    * A final Dense layer gets the bias that centres its outputs over the
      batch. Otherwise the (all positive) pooled features make one class win
      for almost every image, and a cross-language test could not tell inputs
      apart.
    """
    import keras

    shape = tuple(model.inputs[0].shape)[1:]
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, *shape)).astype(np.float32)
    bns = [l for l in _all_layers(model) if isinstance(l, keras.layers.BatchNormalization)]
    saved = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = 0.0
    model(x, training=True)
    for bn, m in zip(bns, saved):
        bn.momentum = m
    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense) and last.use_bias:
        features = keras.Model(model.inputs[0], last.input)(x, training=False)
        kernel, _ = last.get_weights()
        last.set_weights([kernel, -(np.asarray(features).mean(axis=0) @ kernel)])


def _all_layers(model: Any) -> list[Any]:
    out = []
    for layer in getattr(model, "layers", []):
        out.append(layer)
        out.extend(_all_layers(layer))
    return out


def build_keras_app(
    name: str,
    weights: str | None = "imagenet",
    alpha: float = 1.0,
    input_size: int = 224,
    seed: int = 0,
    logits: bool = True,
) -> Any:
    """Build a Keras application. With ``weights=None`` the weights are random
    (fixed ``seed``), made realistic by :func:`calibrate_random_model`."""
    import keras

    if name not in KERAS_APPS:
        raise ValueError(f"unknown Keras application {name!r}; known: {', '.join(KERAS_APPS)}")
    _, takes_alpha = KERAS_APPS[name]
    kwargs: dict[str, Any] = {
        "input_shape": (input_size, input_size, 3),
        "weights": weights,
        "classifier_activation": None if logits else "softmax",
    }
    if takes_alpha:
        kwargs["alpha"] = alpha
    elif alpha != 1.0:
        raise ValueError(f"{name} takes no alpha")
    keras.utils.set_random_seed(seed)
    model = getattr(keras.applications, name)(**kwargs)
    if weights is None:
        calibrate_random_model(model, seed=seed)
    return model


def load_keras_app(
    name: str, weights: str | None, alpha: float = 1.0, input_size: int = 224, seed: int = 0
) -> SourceModel:
    try:
        model = build_keras_app(name, weights, alpha, input_size, seed)
    except Exception as e:  # keras.utils.get_file raises a bare Exception on fetch failures
        if weights is None or "fetch failure" not in str(e):
            raise
        raise SystemExit(
            f"could not get {weights} weights for {name} ({e}); this machine may not reach "
            "the Keras weight download: put the file in ~/.keras/models/ or use --weights none"
        ) from e
    preset, takes_alpha = KERAS_APPS[name]
    model_name = name.lower()
    if takes_alpha and alpha != 1.0:
        model_name += f"-{alpha:g}"
    model_name += "-keras" if weights else "-keras-random"
    return _keras_source(model, "keras_app", _weights_checksum(model), model_name, preset)


def load_keras_file(path: Path) -> SourceModel:
    import keras

    model = keras.models.load_model(path, compile=False)
    return _keras_source(model, "keras", _sha256_file(path), path.stem, None)


def load_saved_model(
    path: Path,
    signature: str = "serving_default",
    input_key: str | None = None,
    output_key: str | None = None,
) -> SourceModel:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    if signature not in loaded.signatures:
        raise ValueError(
            f"SavedModel has no signature {signature!r}; it has {list(loaded.signatures)}"
        )
    sig = loaded.signatures[signature]
    inputs: dict[str, Any] = sig.structured_input_signature[1]
    if input_key is None:
        if len(inputs) != 1:
            raise ValueError(f"pick --input-key among {list(inputs)}")
        input_key = next(iter(inputs))
    outputs = sig.structured_outputs
    if isinstance(outputs, dict):
        if output_key is None:
            if len(outputs) != 1:
                raise ValueError(f"pick --output-key among {list(outputs)}")
            output_key = next(iter(outputs))
    shape = tuple(inputs[input_key].shape)[1:]
    key_in, key_out = input_key, output_key

    def fn(x: Any) -> Any:
        out = sig(**{key_in: x})
        return out[key_out] if key_out is not None else out

    pb = path / "saved_model.pb"
    checksum = _sha256_file(pb) if pb.exists() else _sha256_file(path / "saved_model.pbtxt")
    return SourceModel("saved_model", fn, shape, checksum, path.name, None, [loaded, sig])


def load_source(path: str | Path, **saved_model_kwargs: Any) -> SourceModel:
    p = Path(path)
    if p.is_dir():
        if not ((p / "saved_model.pb").exists() or (p / "saved_model.pbtxt").exists()):
            raise ValueError(f"{p} is a directory without saved_model.pb")
        return load_saved_model(p, **saved_model_kwargs)
    if p.suffix.lower() in (".h5", ".hdf5", ".keras"):
        return load_keras_file(p)
    raise ValueError(f"unsupported source {p}: expected a SavedModel directory, .h5 or .keras")


def resolve_input_shape(
    source: SourceModel, height: int | None, width: int | None
) -> tuple[str, int, int, list[int]]:
    """Layout, height, width, and the full per-sample input shape."""
    layout = source.layout
    sh, sw = source.spatial()
    h = sh if sh is not None else height
    w = sw if sw is not None else width
    if h is None or w is None:
        raise ValueError("the source model has dynamic spatial dimensions: give --height/--width")
    if (height is not None and height != h) or (width is not None and width != w):
        raise ValueError(f"the source model's input is {h}x{w}, not {height}x{width}")
    ch = source.input_shape[-1] if layout == "NHWC" else source.input_shape[0]
    if ch != 3:
        raise ValueError(f"expected 3 input channels, got {ch}")
    shape = [h, w, 3] if layout == "NHWC" else [3, h, w]
    return layout, int(h), int(w), shape


def to_onnx(
    source: SourceModel,
    out_path: Path,
    sample_shape: list[int],
    opset: int = DEFAULT_OPSET,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Convert ``source`` to an ONNX file with input ``input`` ([batch, ...]) and output ``output``."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec([None, *sample_shape], tf.float32, name=INPUT_NAME),)

    @tf.function(input_signature=spec)
    def serving(x: Any) -> dict[str, Any]:
        return {OUTPUT_NAME: tf.cast(source.fn(x), tf.float32)}

    model_proto, _ = tf2onnx.convert.from_function(
        serving, input_signature=spec, opset=opset, output_path=None
    )
    graph = model_proto.graph
    _rename_io(graph, INPUT_NAME, OUTPUT_NAME)
    for value in list(graph.input) + list(graph.output):
        dim0 = value.type.tensor_type.shape.dim[0]
        dim0.ClearField("dim_value")
        dim0.dim_param = "batch"
    for k, v in (metadata or {}).items():
        entry = model_proto.metadata_props.add()
        entry.key, entry.value = k, v
    model_proto.producer_name = "model-convert (tf2onnx " + tf2onnx.__version__ + ")"
    onnx.checker.check_model(model_proto)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model_proto, str(out_path))
    return out_path


def _rename_io(graph: Any, input_name: str, output_name: str) -> None:
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ValueError("the converted graph should have one input and one output")
    for value, want in ((graph.input[0], input_name), (graph.output[0], output_name)):
        old = value.name
        if old == want:
            continue
        value.name = want
        for node in graph.node:
            for i, n in enumerate(node.input):
                if n == old:
                    node.input[i] = want
            for i, n in enumerate(node.output):
                if n == old:
                    node.output[i] = want


def guess_output_kind(source: SourceModel, sample: np.ndarray) -> str:
    """``probabilities`` when outputs are non-negative and rows sum to 1."""
    out = source.predict(sample)
    if out.ndim == 2 and (out >= 0).all() and np.allclose(out.sum(axis=1), 1.0, atol=1e-3):
        return "probabilities"
    return "logits"


def tempdir(prefix: str = "model-convert-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
