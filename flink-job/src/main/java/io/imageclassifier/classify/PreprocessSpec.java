package io.imageclassifier.classify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * How a model wants its input tensor built from an RGB image, and what its output means.
 *
 * <p>Read from a JSON sidecar {@code <model>.json} next to the model (see {@link #forModel});
 * without one, {@link #defaults()} describes the shared {@code mobilenetv2-12-int8.onnx}. The
 * sidecar keys are a contract with the Python model converter: {@code format_version},
 * {@code model_name}, {@code input_name}, {@code output_name}, {@code layout}, {@code channel_order},
 * {@code height}, {@code width}, {@code resize}, {@code resize_shorter_side}, {@code interpolation},
 * {@code scale}, {@code mean}, {@code std}, {@code output_kind}, {@code labels},
 * {@code source_checksum}. Unknown keys are ignored, missing keys take the defaults. Validation
 * messages name the sidecar key.
 *
 * <p>Tensor value of channel {@code c} (in {@link #channelOrder()}) is
 * {@code (pixel * scale - mean[c]) / std[c]} with pixel in 0..255.
 *
 * @param labels         labels file relative to the sidecar's folder, or null
 * @param sourceChecksum informational (e.g. {@code sha256:...} of the converted source), or null
 */
public record PreprocessSpec(
        int formatVersion,
        String modelName,
        String inputName,
        String outputName,
        Layout layout,
        ChannelOrder channelOrder,
        int height,
        int width,
        Resize resize,
        int resizeShorterSide,
        Interpolation interpolation,
        double scale,
        List<Double> mean,
        List<Double> std,
        OutputKind outputKind,
        String labels,
        String sourceChecksum)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The only sidecar format this code reads. */
    public static final int FORMAT_VERSION = 1;

    /** Largest accepted tensor height/width; far above any classifier input. */
    static final int MAX_SIDE = 8192;

    /** Tensor memory layout (batch dimension first in both). */
    public enum Layout { NCHW, NHWC }

    /** Order of the three colour channels in the tensor. */
    public enum ChannelOrder { RGB, BGR }

    /** {@code SHORTER_SIDE}: scale the shorter side to resize_shorter_side, centre-crop; {@code STRETCH}: scale to height x width. */
    public enum Resize { SHORTER_SIDE, STRETCH }

    /** Only bilinear is implemented (see {@link Preprocessor} for the exact definition). */
    public enum Interpolation { BILINEAR }

    /** {@code LOGITS}: apply softmax; {@code PROBABILITIES}: use the outputs as they are. */
    public enum OutputKind { LOGITS, PROBABILITIES }

    public PreprocessSpec {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("format_version must be " + FORMAT_VERSION + ", got " + formatVersion);
        }
        requireText(modelName, "model_name");
        requireText(inputName, "input_name");
        requireText(outputName, "output_name");
        requireNonNull(layout, "layout");
        requireNonNull(channelOrder, "channel_order");
        requireNonNull(resize, "resize");
        requireNonNull(interpolation, "interpolation");
        requireNonNull(outputKind, "output_kind");
        requireRange(height, 1, MAX_SIDE, "height");
        requireRange(width, 1, MAX_SIDE, "width");
        if (resize == Resize.SHORTER_SIDE) {
            int min = Math.max(height, width);
            if (resizeShorterSide < min || resizeShorterSide > 4 * MAX_SIDE) {
                throw new IllegalArgumentException("resize_shorter_side must be >= max(height, width) = " + min
                        + " (the centre crop must fit) and <= " + 4 * MAX_SIDE + ", got " + resizeShorterSide);
            }
        }
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be a positive finite number, got " + scale);
        }
        mean = threeFinite(mean, "mean", false);
        std = threeFinite(std, "std", true);
        if (labels != null && labels.isBlank()) {
            throw new IllegalArgumentException("labels must not be blank when present");
        }
    }

    /** The spec of the shared MobileNetV2 int8 model (torchvision-style ImageNet preprocessing). */
    public static PreprocessSpec defaults() {
        return new PreprocessSpec(FORMAT_VERSION, "mobilenetv2-12-int8", "input", "output", Layout.NCHW,
                ChannelOrder.RGB, 224, 224, Resize.SHORTER_SIDE, 256, Interpolation.BILINEAR, 1.0 / 255.0,
                List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), OutputKind.LOGITS, null, null);
    }

    /**
     * The spec from the model's sidecar when it exists, else {@link #defaults()} named after the
     * model file. The sidecar of {@code dir/m.onnx} is {@code dir/m.json}, or else
     * {@code dir/m.onnx.json}.
     *
     * @throws IllegalArgumentException when the sidecar is not valid JSON or holds an invalid value
     */
    public static PreprocessSpec forModel(Path model) throws IOException {
        return forModel(model.toString(), ModelFetcher.local());
    }

    /** As {@link #forModel(Path)}, for a model location read through {@code fetcher}. */
    public static PreprocessSpec forModel(String modelLocation, ModelFetcher fetcher) throws IOException {
        String stemLocation = modelLocation.endsWith(".onnx")
                ? modelLocation.substring(0, modelLocation.length() - ".onnx".length())
                : modelLocation;
        for (String sidecar : List.of(stemLocation + ".json", modelLocation + ".json")) {
            Path local;
            try {
                local = fetcher.fetch(sidecar);
            } catch (NoSuchFileException e) {
                continue;
            }
            try {
                return fromJson(Files.readString(local));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid model sidecar " + sidecar + ": " + e.getMessage(), e);
            }
        }
        String stem = stemLocation.substring(stemLocation.lastIndexOf('/') + 1);
        return stem.isBlank() ? defaults() : defaults().withModelName(stem);
    }

    /** This spec with another {@code model_name}. */
    public PreprocessSpec withModelName(String name) {
        return new PreprocessSpec(formatVersion, name, inputName, outputName, layout, channelOrder, height, width,
                resize, resizeShorterSide, interpolation, scale, mean, std, outputKind, labels, sourceChecksum);
    }

    /** Parses sidecar JSON; missing keys take {@link #defaults()}, unknown keys are ignored. */
    public static PreprocessSpec fromJson(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("must be a JSON object");
        }
        SidecarJson j = new SidecarJson(root);
        PreprocessSpec d = defaults();
        return new PreprocessSpec(
                j.integer("format_version", d.formatVersion),
                j.text("model_name", d.modelName),
                j.text("input_name", d.inputName),
                j.text("output_name", d.outputName),
                j.choice("layout", Layout.class, d.layout),
                j.choice("channel_order", ChannelOrder.class, d.channelOrder),
                j.integer("height", d.height),
                j.integer("width", d.width),
                j.choice("resize", Resize.class, d.resize),
                j.integer("resize_shorter_side", d.resizeShorterSide),
                j.choice("interpolation", Interpolation.class, d.interpolation),
                j.number("scale", d.scale),
                j.numbers("mean", d.mean),
                j.numbers("std", d.std),
                j.choice("output_kind", OutputKind.class, d.outputKind),
                j.text("labels", null),
                j.text("source_checksum", null));
    }

    /** The tensor shape for a batch of {@code n}, e.g. {@code [n, 3, 224, 224]} for NCHW. */
    public long[] inputShape(int n) {
        return layout == Layout.NCHW ? new long[] {n, 3, height, width} : new long[] {n, height, width, 3};
    }

    /** Floats per image in the input tensor. */
    public int imageTensorSize() {
        return 3 * height * width;
    }

    /**
     * The source subsampling factor a decoder may apply to a {@code w x h} image and still hand the
     * resize at least the resolution it will sample from (1 = decode at full resolution).
     */
    public int maxSubsampling(int w, int h) {
        int s = resize == Resize.SHORTER_SIDE
                ? Math.min(w, h) / resizeShorterSide
                : Math.min(w / width, h / height);
        return Math.max(1, s);
    }

    private static void requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must be a non-empty string");
        }
    }

    private static void requireNonNull(Object value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + " must be set");
        }
    }

    private static void requireRange(int value, int min, int max, String field) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be in " + min + ".." + max + ", got " + value);
        }
    }

    private static List<Double> threeFinite(List<Double> values, String field, boolean positive) {
        if (values == null || values.size() != 3) {
            throw new IllegalArgumentException(field + " must have exactly 3 values (one per channel), got " + values);
        }
        for (Double v : values) {
            if (v == null || !Double.isFinite(v) || (positive && v <= 0)) {
                throw new IllegalArgumentException(field + " values must be finite" + (positive ? " and > 0" : "")
                        + ", got " + values);
            }
        }
        return List.copyOf(values);
    }
}
