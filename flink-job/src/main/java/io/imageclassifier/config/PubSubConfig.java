package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * The Pub/Sub subscription that carries the bucket's object-finalize notifications.
 *
 * @param projectId              GCP project of the subscription
 * @param subscription           full name {@code projects/P/subscriptions/S}
 * @param endpoint               {@code host:port} of an emulator (plaintext, no credentials), or null
 *                               for the real service with Application Default Credentials
 * @param maxOutstandingMessages flow control: unacked messages held by one reader
 * @param maxOutstandingBytes    flow control: unacked bytes held by one reader
 * @param contentTypePrefix      only objects whose content type starts with this are classified
 *                               (empty: all)
 * @param namePrefix             only object names starting with this (empty: all)
 * @param nameSuffix             only object names ending with this (empty: all)
 * @param maxAckExtension        how long the client keeps extending a message's lease while it
 *                               waits for its checkpoint to complete; must exceed the checkpoint
 *                               interval plus the longest checkpoint
 */
public record PubSubConfig(
        String projectId,
        String subscription,
        String endpoint,
        long maxOutstandingMessages,
        long maxOutstandingBytes,
        String contentTypePrefix,
        String namePrefix,
        String nameSuffix,
        Duration maxAckExtension) implements Serializable {
    public PubSubConfig {
        ConfigException.require(subscription != null && subscription.matches("projects/[^/]+/subscriptions/[^/]+"),
                "--subscription", "must be a short name with --project-id, or projects/P/subscriptions/S; was "
                        + subscription);
        ConfigException.require(maxOutstandingMessages > 0, "--max-outstanding-messages", "must be positive");
        ConfigException.require(maxOutstandingBytes > 0, "--max-outstanding-bytes", "must be positive");
        ConfigException.require(maxAckExtension != null && maxAckExtension.toSeconds() >= 10,
                "--max-ack-extension", "must be at least 10s");
        contentTypePrefix = contentTypePrefix == null ? "" : contentTypePrefix;
        namePrefix = namePrefix == null ? "" : namePrefix;
        nameSuffix = nameSuffix == null ? "" : nameSuffix;
    }

    /** Expands a short subscription name with the project, leaves a full one as is. */
    public static String fullSubscription(String projectId, String subscription) {
        if (subscription == null || subscription.startsWith("projects/")) {
            return subscription;
        }
        ConfigException.require(projectId != null && !projectId.isBlank(), "--project-id",
                "is required with a short --subscription name");
        return "projects/" + projectId + "/subscriptions/" + subscription;
    }

    /** Whether the endpoint is an emulator (plaintext, no credentials). */
    public boolean emulator() {
        return endpoint != null && !endpoint.isBlank();
    }
}
