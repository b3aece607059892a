package io.imageclassifier.sink.bigquery;

import java.io.Serializable;
import java.time.Duration;

/**
 * Tunables of the BigQuery writer, validated here.
 *
 * @param maxBatchRows   rows per AppendRows request
 * @param maxBatchBytes  serialized bytes per request; kept well under the API's 10 MB request limit
 * @param maxInFlight    append requests awaiting a response before {@code write} blocks (back-pressure)
 * @param maxAttempts    attempts per append request or stream creation on transient errors before the job fails
 * @param initialBackoff first retry delay, doubled per attempt
 * @param maxBackoff     cap of the retry delay
 * @param commitRetryTimeout how long the committer retries a transient finalize/commit failure
 *                       before it fails the job; it blocks its task meanwhile, so keep it well under
 *                       the checkpoint timeout
 */
public record BigQueryWriteOptions(
        int maxBatchRows,
        long maxBatchBytes,
        int maxInFlight,
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        Duration commitRetryTimeout) implements Serializable {

    /** 9 MB: under 95 % of the 10 MB AppendRows limit, leaving room for the request envelope. */
    public static final long DEFAULT_MAX_BATCH_BYTES = 9L * 1024 * 1024;

    public BigQueryWriteOptions {
        require(maxBatchRows > 0, "maxBatchRows must be > 0");
        require(maxBatchBytes > 0 && maxBatchBytes <= DEFAULT_MAX_BATCH_BYTES,
                "maxBatchBytes must be in (0, " + DEFAULT_MAX_BATCH_BYTES + "]");
        require(maxInFlight > 0, "maxInFlight must be > 0");
        require(maxAttempts > 0, "maxAttempts must be > 0");
        require(initialBackoff != null && !initialBackoff.isNegative(), "initialBackoff must be >= 0");
        require(maxBackoff != null && maxBackoff.compareTo(initialBackoff) >= 0, "maxBackoff must be >= initialBackoff");
        require(commitRetryTimeout != null && !commitRetryTimeout.isNegative(), "commitRetryTimeout must be >= 0");
    }

    /**
     * 500 rows or 9 MB per request, 4 in flight, 8 attempts from 200 ms up to 10 s; commits retried
     * for up to 2 minutes (an outage of a minute or two delays commits instead of restarting the job).
     */
    public static BigQueryWriteOptions defaults() {
        return new BigQueryWriteOptions(500, DEFAULT_MAX_BATCH_BYTES, 4, 8, Duration.ofMillis(200), Duration.ofSeconds(10),
                Duration.ofMinutes(2));
    }

    public BigQueryWriteOptions withMaxBatchRows(int rows) {
        return new BigQueryWriteOptions(rows, maxBatchBytes, maxInFlight, maxAttempts, initialBackoff, maxBackoff,
                commitRetryTimeout);
    }

    public BigQueryWriteOptions withBackoff(int attempts, Duration initial, Duration max) {
        return new BigQueryWriteOptions(maxBatchRows, maxBatchBytes, maxInFlight, attempts, initial, max,
                commitRetryTimeout);
    }

    public BigQueryWriteOptions withCommitRetryTimeout(Duration timeout) {
        return new BigQueryWriteOptions(maxBatchRows, maxBatchBytes, maxInFlight, maxAttempts, initialBackoff, maxBackoff,
                timeout);
    }

    /** Delay before retry number {@code attempt} (1-based). */
    public Duration backoff(int attempt) {
        long millis = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("BigQueryWriteOptions: " + message);
        }
    }
}
