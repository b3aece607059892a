package io.imageclassifier.config;

import java.io.Serializable;

/**
 * Which model runs and how.
 *
 * @param model               ONNX model location (local path; gs:// and https:// where supported); with a
 *                            watched repository, the repository's location
 * @param labels              labels file, or null for the sidecar's "labels" entry / the default
 * @param topK                how many best classes each prediction lists
 * @param confidenceThreshold predictions whose top score is below this go to the dead-letter output
 * @param intraOpThreads      ONNX Runtime intra-op threads of the shared session
 * @param executionProvider   {@code cpu} or {@code cuda} (falls back to CPU with a warning)
 * @param maxImageBytes       objects larger than this are rejected before download/decode
 * @param maxImagePixels      images whose header declares more pixels are rejected before decode
 * @param rollout             model repository watching and canary rollout
 */
public record ModelSettings(
        String model,
        String labels,
        int topK,
        double confidenceThreshold,
        int intraOpThreads,
        String executionProvider,
        long maxImageBytes,
        long maxImagePixels,
        ModelRolloutSettings rollout) implements Serializable {
    public ModelSettings {
        ConfigException.require(model != null && !model.isBlank(), "--model", "must not be empty");
        ConfigException.require(topK >= 1 && topK <= 1000, "--top-k", "must be between 1 and 1000, was " + topK);
        ConfigException.require(confidenceThreshold >= 0.0 && confidenceThreshold <= 1.0,
                "--confidence-threshold", "must be between 0 and 1, was " + confidenceThreshold);
        ConfigException.require(intraOpThreads >= 1, "--intra-op-threads", "must be >= 1, was " + intraOpThreads);
        ConfigException.require("cpu".equals(executionProvider) || "cuda".equals(executionProvider),
                "--execution-provider", "must be cpu or cuda, was " + executionProvider);
        ConfigException.require(maxImageBytes > 0, "--max-image-bytes", "must be positive");
        ConfigException.require(maxImagePixels > 0, "--max-image-pixels", "must be positive");
        ConfigException.require(rollout != null, "--model-repository", "settings must be set");
    }
}
