package io.imageclassifier.record;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * An input that did not become a prediction, with the reason. Written to the dead-letter output;
 * nothing is dropped silently.
 *
 * @param stage which operator rejected it: {@code source}, {@code fetch}, {@code classify}, {@code sink}
 */
@JsonPropertyOrder({"name", "reason", "message", "bucket", "generation", "stage", "message_id", "event_time"})
public record DeadLetter(
        @JsonProperty("name") String name,
        @JsonProperty("reason") String reason,
        @JsonProperty("message") String message,
        @JsonProperty("bucket") String bucket,
        @JsonProperty("generation") String generation,
        @JsonProperty("stage") String stage,
        @JsonProperty("message_id") String messageId,
        @JsonProperty("event_time") long eventTimeMillis) {

    /** A dead letter about a known object. */
    public static DeadLetter of(ObjectRef ref, DeadLetterReason reason, String message, String stage) {
        return new DeadLetter(ref.name(), reason.code(), message, ref.bucket(), ref.version(), stage,
                ref.messageId(), System.currentTimeMillis());
    }
}
