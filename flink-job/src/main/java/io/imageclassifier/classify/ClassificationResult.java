package io.imageclassifier.classify;

import io.imageclassifier.record.TopKEntry;

/**
 * What the model says about one image.
 *
 * @param score          probability of the top class (softmax of the logits, or the model's own
 *                       probability when its output_kind is probabilities)
 * @param topK           the k best classes, best first; {@code topK[0]} is the top class
 * @param decodeNanos    time spent decoding (0 for already preprocessed input)
 * @param preprocessNanos time spent resizing and normalising (0 for already preprocessed input)
 * @param inferenceNanos time spent in the model run (for a batch: the batch's run time / batch size)
 */
public record ClassificationResult(
        int labelIndex,
        String label,
        double score,
        TopKEntry[] topK,
        String modelName,
        String modelVersion,
        long decodeNanos,
        long preprocessNanos,
        long inferenceNanos) {}
