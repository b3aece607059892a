package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Reads exactly the generation a notification names: metadata first (size limit checked before any
 * byte is downloaded), then the bytes. 429, 5xx and timeouts are retried with exponential backoff
 * (initial, 2x, 4x, ...) as long as retries and the overall deadline allow; 404 and 403 are final at
 * once. Blocking: it runs on the async function's pool threads.
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
        void onRetry(ObjectRef ref, int attempt, ObjectStore.ObjectStoreException cause);
    }

    private final ObjectStore store;
    private final long maxBytes;
    private final int retries;
    private final Duration initialBackoff;
    private final Duration timeout;
    private final Sleeper sleeper;
    private final LongSupplier nanoClock;
    private final RetryListener retryListener;

    public ObjectFetcher(ObjectStore store, long maxBytes, int retries, Duration initialBackoff, Duration timeout,
            Sleeper sleeper, LongSupplier nanoClock, RetryListener retryListener) {
        this.store = store;
        this.maxBytes = maxBytes;
        this.retries = retries;
        this.initialBackoff = initialBackoff;
        this.timeout = timeout;
        this.sleeper = sleeper;
        this.nanoClock = nanoClock;
        this.retryListener = retryListener;
    }

    /** Fetches; never throws (interruption included: it becomes a fetch_timeout). */
    public FetchResult fetch(ObjectRef ref) {
        long generation;
        try {
            generation = Long.parseLong(ref.version());
        } catch (NumberFormatException e) {
            return fail(ref, DeadLetterReason.NOT_FOUND, "generation is not a number: " + ref.version());
        }
        long deadline = nanoClock.getAsLong() + timeout.toNanos();
        Duration backoff = initialBackoff;
        for (int attempt = 0; ; attempt++) {
            try {
                return attempt(ref, generation);
            } catch (ObjectStore.ObjectStoreException e) {
                if (!e.retryable()) {
                    return finalFailure(ref, e);
                }
                boolean retriesLeft = attempt < retries;
                boolean timeLeft = nanoClock.getAsLong() + backoff.toNanos() < deadline;
                if (!retriesLeft || !timeLeft) {
                    DeadLetterReason reason = e.timeout() || !timeLeft
                            ? DeadLetterReason.FETCH_TIMEOUT : DeadLetterReason.FETCH_ERROR;
                    return fail(ref, reason, "after " + (attempt + 1) + " attempt(s): " + describe(e));
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
    }

    private FetchResult attempt(ObjectRef ref, long generation) throws ObjectStore.ObjectStoreException {
        ObjectStore.ObjectMeta meta = store.stat(ref.bucket(), ref.name(), generation);
        if (meta == null) {
            return fail(ref, DeadLetterReason.NOT_FOUND, "gs://" + ref.bucket() + "/" + ref.name()
                    + " generation " + generation + " does not exist");
        }
        if (meta.size() > maxBytes) {
            return fail(ref, DeadLetterReason.TOO_LARGE, meta.size() + " bytes, limit " + maxBytes);
        }
        return FetchResult.success(ref, store.read(ref.bucket(), ref.name(), generation));
    }

    private static FetchResult finalFailure(ObjectRef ref, ObjectStore.ObjectStoreException e) {
        DeadLetterReason reason = switch (e.status()) {
            case 404 -> DeadLetterReason.NOT_FOUND;
            case 401, 403 -> DeadLetterReason.FORBIDDEN;
            default -> DeadLetterReason.FETCH_ERROR;
        };
        return fail(ref, reason, describe(e));
    }

    private static String describe(ObjectStore.ObjectStoreException e) {
        return (e.status() > 0 ? "HTTP " + e.status() + ": " : "") + e.getMessage();
    }

    private static FetchResult fail(ObjectRef ref, DeadLetterReason reason, String message) {
        return FetchResult.failure(ref, DeadLetter.of(ref, reason, message, STAGE));
    }
}
