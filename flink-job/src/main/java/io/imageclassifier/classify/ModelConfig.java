package io.imageclassifier.classify;

import io.imageclassifier.config.ModelSettings;
import java.io.Serializable;
import java.util.Locale;

/**
 * Which model to run and how: everything a task needs to obtain its classifier in {@code open()}.
 * Serializable, so a Flink function can carry it.
 *
 * @param modelLocation     the ONNX model: a local path now; {@code gs://} or {@code https://} once a
 *                          {@link ModelFetcher} for the scheme is plugged in
 * @param labelsLocation    labels file overriding the sidecar's {@code labels}, or null
 * @param defaultLabelsLocation labels used when neither {@code labelsLocation} nor the sidecar names
 *                          one (the caller passes e.g. {@code shared/labels/imagenet_classes.txt}), or null
 * @param topK              how many best classes each result lists (>= 1)
 * @param intraOpThreads    ONNX Runtime intra-op threads per session (>= 1; default 1: Flink runs
 *                          one task per slot and the slots already use the cores)
 * @param executionProvider {@code CPU}, or {@code CUDA} with fallback to CPU when unavailable
 * @param limits            input limits checked before decoding
 * @param version           the version name rows carry (a model repository's folder name), or null
 *                          for the first 12 hex digits of the model file's SHA-256
 */
public record ModelConfig(
        String modelLocation,
        String labelsLocation,
        String defaultLabelsLocation,
        int topK,
        int intraOpThreads,
        ExecutionProvider executionProvider,
        ImageLimits limits,
        String version)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_TOP_K = 5;
    public static final int DEFAULT_INTRA_OP_THREADS = 1;

    /** Where inference runs. */
    public enum ExecutionProvider { CPU, CUDA }

    public ModelConfig {
        if (modelLocation == null || modelLocation.isBlank()) {
            throw new IllegalArgumentException("modelLocation must be set");
        }
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
        }
        if (executionProvider == null) {
            throw new IllegalArgumentException("executionProvider must be set");
        }
        if (limits == null) {
            throw new IllegalArgumentException("limits must be set");
        }
        if (version != null && version.isBlank()) {
            throw new IllegalArgumentException("version must not be blank when set");
        }
    }

    /** The classifier's view of the job's validated model settings. */
    public static ModelConfig from(ModelSettings settings) {
        return new ModelConfig(settings.model(), settings.labels(), null, settings.topK(), settings.intraOpThreads(),
                ExecutionProvider.valueOf(settings.executionProvider().toUpperCase(Locale.ROOT)),
                new ImageLimits(settings.maxImageBytes(), settings.maxImagePixels()), null);
    }

    /** Defaults for everything but the model and the fallback labels. */
    public static ModelConfig of(String modelLocation, String defaultLabelsLocation) {
        return new ModelConfig(modelLocation, null, defaultLabelsLocation, DEFAULT_TOP_K, DEFAULT_INTRA_OP_THREADS,
                ExecutionProvider.CPU, ImageLimits.defaults(), null);
    }

    public ModelConfig withLabels(String labels) {
        return new ModelConfig(modelLocation, labels, defaultLabelsLocation, topK, intraOpThreads, executionProvider, limits, version);
    }

    public ModelConfig withTopK(int k) {
        return new ModelConfig(modelLocation, labelsLocation, defaultLabelsLocation, k, intraOpThreads, executionProvider, limits, version);
    }

    public ModelConfig withIntraOpThreads(int n) {
        return new ModelConfig(modelLocation, labelsLocation, defaultLabelsLocation, topK, n, executionProvider, limits, version);
    }

    public ModelConfig withExecutionProvider(ExecutionProvider ep) {
        return new ModelConfig(modelLocation, labelsLocation, defaultLabelsLocation, topK, intraOpThreads, ep, limits, version);
    }

    /** This configuration for another model file, named {@code version} in rows (labels from its sidecar or {@code defaultLabels}). */
    public ModelConfig forVersion(String modelLocation, String defaultLabels, String version) {
        return new ModelConfig(modelLocation, null, defaultLabels, topK, intraOpThreads, executionProvider, limits, version);
    }

    public ModelConfig withLimits(ImageLimits l) {
        return new ModelConfig(modelLocation, labelsLocation, defaultLabelsLocation, topK, intraOpThreads, executionProvider, l, version);
    }
}
