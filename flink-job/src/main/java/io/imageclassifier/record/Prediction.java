package io.imageclassifier.record;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One output row per classified image. The first ten fields are the older PySpark design's
 * BigQuery schema, in its order and with its names (size is a STRING there); the rest are
 * additions after them.
 *
 * @param eventTimeMillis when the prediction was made, epoch millis (BigQuery TIMESTAMP)
 * @param topK            the k best classes, best first (an array: Flink serializes it natively)
 */
@JsonPropertyOrder({
    "bucket", "name", "contentType", "size", "timeCreated", "updated",
    "label", "score", "model_name", "event_time",
    "label_index", "top_k", "model_version", "generation", "source"
})
public record Prediction(
        @JsonProperty("bucket") String bucket,
        @JsonProperty("name") String name,
        @JsonProperty("contentType") String contentType,
        @JsonProperty("size") String size,
        @JsonProperty("timeCreated") String timeCreated,
        @JsonProperty("updated") String updated,
        @JsonProperty("label") String label,
        @JsonProperty("score") double score,
        @JsonProperty("model_name") String modelName,
        @JsonProperty("event_time") long eventTimeMillis,
        @JsonProperty("label_index") int labelIndex,
        @JsonProperty("top_k") TopKEntry[] topK,
        @JsonProperty("model_version") String modelVersion,
        @JsonProperty("generation") String generation,
        @JsonProperty("source") String source) {}
