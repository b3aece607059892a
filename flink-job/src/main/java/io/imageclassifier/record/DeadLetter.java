package io.imageclassifier.record;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * An input that did not become a prediction, with the reason. Written to the dead-letter output;
 * nothing is dropped silently.
 *
 * @param stage     which operator rejected it: {@code source}, {@code fetch}, {@code classify}, {@code sink}
 * @param retryable whether the same object may well succeed later (a Cloud Storage outage that
 *                  outlasted the retry budget): such dead letters can be replayed
 *                  ({@code scripts/replay-dead-letters.sh})
 */
@JsonPropertyOrder({"name", "reason", "message", "bucket", "generation", "stage", "message_id", "event_time",
        "retryable"})
public record DeadLetter(
        @JsonProperty("name") String name,
        @JsonProperty("reason") String reason,
        @JsonProperty("message") String message,
        @JsonProperty("bucket") String bucket,
        @JsonProperty("generation") String generation,
        @JsonProperty("stage") String stage,
        @JsonProperty("message_id") String messageId,
        @JsonProperty("event_time") long eventTimeMillis,
        @JsonProperty("retryable") boolean retryable) {

    /** A final dead letter: the input itself is the problem. */
    public DeadLetter(String name, String reason, String message, String bucket, String generation, String stage,
            String messageId, long eventTimeMillis) {
        this(name, reason, message, bucket, generation, stage, messageId, eventTimeMillis, false);
    }

    /** A final dead letter about a known object. */
    public static DeadLetter of(ObjectRef ref, DeadLetterReason reason, String message, String stage) {
        return of(ref, reason, message, stage, false);
    }

    /** A dead letter about a known object. */
    public static DeadLetter of(ObjectRef ref, DeadLetterReason reason, String message, String stage,
            boolean retryable) {
        return new DeadLetter(ref.name(), reason.code(), message, ref.bucket(), ref.version(), stage,
                ref.messageId(), System.currentTimeMillis(), retryable);
    }
}
