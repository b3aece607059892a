package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * How objects (and gs:// models) are read from Cloud Storage.
 *
 * @param endpoint       emulator URL such as {@code http://127.0.0.1:4443}, or null for the real service
 * @param projectId      project for the client (may be null)
 * @param fetchCapacity  concurrent in-flight fetches per subtask (async I/O capacity)
 * @param fetchTimeout   deadline of one fetch attempt (connect, request, whole download)
 * @param retryBudget    how long an object's transient failures are retried before it becomes a
 *                       dead letter marked retryable; in-flight fetches are checkpointed, so the
 *                       budget restarts after a job restart
 * @param initialBackoff first retry delay; doubles each retry
 * @param maxBackoff     longest retry delay
 */
public record GcsConfig(
        String endpoint,
        String projectId,
        int fetchCapacity,
        Duration fetchTimeout,
        Duration retryBudget,
        Duration initialBackoff,
        Duration maxBackoff) implements Serializable {
    public GcsConfig {
        ConfigException.require(fetchCapacity >= 1, "--fetch-capacity", "must be >= 1, was " + fetchCapacity);
        ConfigException.require(fetchTimeout != null && fetchTimeout.toMillis() > 0, "--fetch-timeout", "must be positive");
        ConfigException.require(retryBudget != null && retryBudget.compareTo(fetchTimeout) >= 0, "--fetch-retry-budget",
                "must be at least --fetch-timeout (" + fetchTimeout + "), was " + retryBudget);
        ConfigException.require(initialBackoff != null && initialBackoff.toMillis() >= 1, "--fetch-initial-backoff",
                "must be at least 1ms");
        ConfigException.require(maxBackoff != null && maxBackoff.compareTo(initialBackoff) >= 0, "--fetch-max-backoff",
                "must be at least --fetch-initial-backoff (" + initialBackoff + ")");
    }

    /** Whether the endpoint is an emulator (no credentials). */
    public boolean emulator() {
        return endpoint != null && !endpoint.isBlank();
    }
}
