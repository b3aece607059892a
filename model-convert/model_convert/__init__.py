"""Convert TensorFlow / Keras image classifiers to ONNX plus the Flink job's sidecar."""

__version__ = "0.1.0"
