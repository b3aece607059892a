package io.imageclassifier.sink.bigquery.committer;

import io.grpc.Status;
import io.imageclassifier.sink.bigquery.BigQueryWriteOptions;
import io.imageclassifier.sink.bigquery.services.BigQueryErrors;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one finalize or commit call, retrying transient failures (UNAVAILABLE, DEADLINE_EXCEEDED,
 * INTERNAL, ABORTED, RESOURCE_EXHAUSTED, a broken connection) with exponential backoff for up to
 * {@link BigQueryWriteOptions#commitRetryTimeout()}. Both calls are safe to repeat: finalizing twice
 * is harmless, and a repeated commit of an applied commit answers STREAM_ALREADY_COMMITTED.
 * Each retry is logged as a warning; other failures are thrown unchanged for the committer to sort.
 */
final class CommitRetry {

    private static final Logger LOG = LoggerFactory.getLogger(CommitRetry.class);

    private final BigQueryWriteOptions options;

    CommitRetry(BigQueryWriteOptions options) {
        this.options = options;
    }

    /**
     * The call's result. Throws the call's own exception when it is not transient, and a
     * {@link BigQueryCommitException} when transient failures outlast the budget.
     */
    <T> T call(String tablePath, String action, List<String> streams, Supplier<T> call)
            throws BigQueryCommitException, InterruptedException {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (!isTransient(e)) {
                    throw e;
                }
                Duration delay = options.backoff(attempt);
                Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
                if (elapsed.plus(delay).compareTo(options.commitRetryTimeout()) > 0) {
                    throw BigQueryCommitException.retriesExhausted(tablePath, action, streams, attempt, elapsed, e);
                }
                LOG.warn("BigQuery {} of {} stream(s) of {} failed ({}); retry {} in {} ms (retrying for up to {} s)",
                        action, streams.size(), BigQueryCommitException.displayName(tablePath), BigQueryErrors.describe(e), attempt,
                        delay.toMillis(), options.commitRetryTimeout().toSeconds());
                Thread.sleep(delay.toMillis());
            }
        }
    }

    private static boolean isTransient(RuntimeException e) {
        return BigQueryErrors.classify(e) == BigQueryErrors.Kind.RETRYABLE
                || BigQueryErrors.code(e) == Status.Code.RESOURCE_EXHAUSTED;
    }
}
