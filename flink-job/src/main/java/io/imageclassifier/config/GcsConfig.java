package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * How objects (and gs:// models) are read from Cloud Storage.
 *
 * @param endpoint       emulator URL such as {@code http://127.0.0.1:4443}, or null for the real service
 * @param projectId      project for the client (may be null)
 * @param fetchCapacity  concurrent in-flight fetches per subtask (async I/O capacity)
 * @param fetchTimeout   timeout of one object fetch including retries
 * @param fetchRetries   retries for 429/5xx/timeouts
 * @param initialBackoff first retry delay; doubles each retry
 */
public record GcsConfig(
        String endpoint,
        String projectId,
        int fetchCapacity,
        Duration fetchTimeout,
        int fetchRetries,
        Duration initialBackoff) implements Serializable {
    public GcsConfig {
        ConfigException.require(fetchCapacity >= 1, "--fetch-capacity", "must be >= 1, was " + fetchCapacity);
        ConfigException.require(fetchTimeout != null && fetchTimeout.toMillis() > 0, "--fetch-timeout", "must be positive");
        ConfigException.require(fetchRetries >= 0, "--fetch-retries", "must be >= 0, was " + fetchRetries);
        ConfigException.require(initialBackoff != null && !initialBackoff.isNegative(), "--fetch-initial-backoff",
                "must not be negative");
    }

    /** Whether the endpoint is an emulator (no credentials). */
    public boolean emulator() {
        return endpoint != null && !endpoint.isBlank();
    }
}
