package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;

/**
 * Reads one object through an {@link ObjectStore}, retrying retryable failures with exponential
 * backoff (initial, 2x, 4x, ...) as long as retries and the overall deadline allow; each attempt
 * gets the time that is left. Blocking: it runs on the async function's pool threads.
 */
public final class ObjectFetcher {

    static final String STAGE = "fetch";

    /** Sleeps between attempts; replaceable in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /** Called for every retry, for the metric. */
    @FunctionalInterface
    public interface RetryListener {
        void onRetry(ObjectRef ref, int attempt, FetchException cause);
    }

    private final ObjectStore store;
    private final int retries;
    private final Duration initialBackoff;
    private final Duration timeout;
    private final Sleeper sleeper;
    private final LongSupplier nanoClock;
    private final RetryListener retryListener;

    public ObjectFetcher(ObjectStore store, int retries, Duration initialBackoff, Duration timeout,
            Sleeper sleeper, LongSupplier nanoClock, RetryListener retryListener) {
        this.store = store;
        this.retries = retries;
        this.initialBackoff = initialBackoff;
        this.timeout = timeout;
        this.sleeper = sleeper;
        this.nanoClock = nanoClock;
        this.retryListener = retryListener;
    }

    /** Fetches; never throws (interruption included: it becomes a fetch_timeout). */
    public FetchResult fetch(ObjectRef ref) {
        long deadline = nanoClock.getAsLong() + timeout.toNanos();
        Duration backoff = initialBackoff;
        for (int attempt = 0; ; attempt++) {
            FetchException e;
            try {
                long left = Math.max(1, deadline - nanoClock.getAsLong());
                return FetchResult.success(ref, store.read(ref, Duration.ofNanos(left)).get());
            } catch (ExecutionException failure) {
                Throwable cause = failure.getCause();
                if (cause instanceof StoragePermissionException denied) {
                    return fail(ref, DeadLetterReason.FORBIDDEN, denied.getMessage());
                }
                e = cause instanceof FetchException f ? f
                        : new FetchException(DeadLetterReason.FETCH_ERROR, true, String.valueOf(cause));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return fail(ref, DeadLetterReason.FETCH_TIMEOUT, "interrupted");
            }
            if (!e.retryable()) {
                return fail(ref, e.reason(), e.getMessage());
            }
            boolean retriesLeft = attempt < retries;
            boolean timeLeft = nanoClock.getAsLong() + backoff.toNanos() < deadline;
            if (!retriesLeft || !timeLeft) {
                DeadLetterReason reason = e.reason() == DeadLetterReason.FETCH_TIMEOUT || !timeLeft
                        ? DeadLetterReason.FETCH_TIMEOUT : DeadLetterReason.FETCH_ERROR;
                return fail(ref, reason, "after " + (attempt + 1) + " attempt(s): " + e.getMessage());
            }
            retryListener.onRetry(ref, attempt + 1, e);
            try {
                sleeper.sleep(backoff);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return fail(ref, DeadLetterReason.FETCH_TIMEOUT, "interrupted while backing off");
            }
            backoff = backoff.multipliedBy(2);
        }
    }

    private static FetchResult fail(ObjectRef ref, DeadLetterReason reason, String message) {
        return FetchResult.failure(ref, DeadLetter.of(ref, reason, message, STAGE));
    }
}
