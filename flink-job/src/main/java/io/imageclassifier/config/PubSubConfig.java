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
 * @param maxOutstandingMessages flow control: unacked messages held by one reader; 0: no count
 *                               limit (the byte limit rules)
 * @param maxOutstandingBytes    flow control: unacked bytes held by one reader
 * @param contentTypePrefix      only objects whose content type starts with this are classified
 *                               (empty: all)
 * @param namePrefix             only object names starting with this (empty: all)
 * @param nameSuffix             only object names ending with this (empty: all)
 * @param maxAckExtension        how long the client keeps extending a message's lease while it
 *                               waits for its checkpoint to complete; must exceed the checkpoint
 *                               interval plus the longest checkpoint
 * @param monitoringEndpoint     {@code host:port} of a Cloud Monitoring stand-in (plaintext, no
 *                               credentials), or null: the real service (Application Default
 *                               Credentials), except against a Pub/Sub emulator, where there is none
 * @param backlogPollInterval    how often the source reads the subscription's backlog from Cloud
 *                               Monitoring (the autoscaler's {@code pendingRecords}); zero: never
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
        Duration maxAckExtension,
        String monitoringEndpoint,
        Duration backlogPollInterval) implements Serializable {

    /** Default of {@code --backlog-poll-interval}: Pub/Sub's metrics are sampled once a minute. */
    public static final Duration DEFAULT_BACKLOG_POLL_INTERVAL = Duration.ofSeconds(60);

    public PubSubConfig {
        ConfigException.require(subscription != null && subscription.matches("projects/[^/]+/subscriptions/[^/]+"),
                "--subscription", "must be a short name with --project-id, or projects/P/subscriptions/S; was "
                        + subscription);
        ConfigException.require(maxOutstandingMessages >= 0, "--max-outstanding-messages",
                "must be positive, or 0 for no count limit");
        ConfigException.require(maxOutstandingBytes > 0, "--max-outstanding-bytes", "must be positive");
        ConfigException.require(maxAckExtension != null && maxAckExtension.toSeconds() >= 10,
                "--max-ack-extension", "must be at least 10s");
        backlogPollInterval = backlogPollInterval == null ? DEFAULT_BACKLOG_POLL_INTERVAL : backlogPollInterval;
        ConfigException.require(backlogPollInterval.isZero() || backlogPollInterval.toSeconds() >= 10,
                "--backlog-poll-interval", "must be 0 (off) or at least 10s");
        contentTypePrefix = contentTypePrefix == null ? "" : contentTypePrefix;
        namePrefix = namePrefix == null ? "" : namePrefix;
        nameSuffix = nameSuffix == null ? "" : nameSuffix;
    }

    /** Without the backlog settings: the real Cloud Monitoring, polled every minute. */
    public PubSubConfig(String projectId, String subscription, String endpoint, long maxOutstandingMessages,
            long maxOutstandingBytes, String contentTypePrefix, String namePrefix, String nameSuffix,
            Duration maxAckExtension) {
        this(projectId, subscription, endpoint, maxOutstandingMessages, maxOutstandingBytes, contentTypePrefix,
                namePrefix, nameSuffix, maxAckExtension, null, DEFAULT_BACKLOG_POLL_INTERVAL);
    }

    /**
     * Whether the source reads the backlog, and from where: a Monitoring endpoint was given, or the
     * subscription is the real service's.
     */
    public boolean backlogEnabled() {
        return !backlogPollInterval.isZero() && (monitoringEndpoint != null && !monitoringEndpoint.isBlank()
                || !emulator());
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
