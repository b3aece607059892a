package io.imageclassifier.source.notification;

import io.imageclassifier.record.ObjectRef;

/**
 * What one Pub/Sub message turned out to be, as {@link GcsNotificationParser} reads it.
 */
public sealed interface GcsNotification {

    /** An {@code OBJECT_FINALIZE}: a new object version to classify. */
    record Finalized(ObjectRef ref) implements GcsNotification {}

    /** A valid notification of another event type ({@code OBJECT_DELETE}, ...): counted and acked. */
    record OtherEvent(String eventType) implements GcsNotification {}

    /**
     * Not a valid Cloud Storage notification. The fields name what could be read, for the dead letter.
     *
     * @param problem what is wrong, for humans
     */
    record Malformed(String messageId, String bucket, String name, String generation, String problem)
            implements GcsNotification {}
}
