package io.imageclassifier.config;

import java.io.Serializable;

/**
 * Where predictions and dead letters go besides BigQuery.
 *
 * @param outputDir  base directory (local path or gs://); predictions under {@code predictions/},
 *                   rejected inputs under {@code dead-letter/}, canary comparisons under {@code canary/}
 * @param console    also print one line per prediction to stdout
 */
public record OutputConfig(String outputDir, boolean console) implements Serializable {
    public OutputConfig {
        ConfigException.require(outputDir != null && !outputDir.isBlank(), "--output-dir", "must not be empty");
    }

    /** Directory of prediction JSON Lines files. */
    public String predictionsDir() {
        return join(outputDir, "predictions");
    }

    /** Directory of dead-letter JSON Lines files. */
    public String deadLetterDir() {
        return join(outputDir, "dead-letter");
    }

    /** Directory of canary comparison JSON Lines files (apart from the predictions). */
    public String canaryDir() {
        return join(outputDir, "canary");
    }

    private static String join(String base, String child) {
        return base.endsWith("/") ? base + child : base + "/" + child;
    }
}
