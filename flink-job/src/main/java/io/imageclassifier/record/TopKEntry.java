package io.imageclassifier.record;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One of the k best classes of a prediction. */
public record TopKEntry(
        @JsonProperty("label") String label,
        @JsonProperty("label_index") int labelIndex,
        @JsonProperty("score") double score) {}
