package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Runs the attempts at reading objects and sorts their outcomes. The waiting between attempts
 * belongs to the async operator ({@link FetchRetryStrategy}), so that an object waiting for its
 * next attempt is part of the checkpoint, not of a thread's stack; the retry budget is kept here.
 *
 * <ul>
 *   <li>{@link #attempt}: one read, with a deadline of {@code attemptTimeout} or what is left of the
 *       object's retry budget, whichever is less. Its future completes with the bytes, a final
 *       failure (404, too large), a {@link FetchResult#retryPending()} failure (refused
 *       connection, 429/5xx, stall) while budget is left, or, once the budget is spent, a final
 *       dead letter marked retryable with the last error. It completes exceptionally only with a
 *       {@link StoragePermissionException}, which fails the job; and with null when
 *       {@link #giveUp} cancelled it.</li>
 *   <li>{@link #giveUp}: the operator's own timeout, a safety net past the budget: cancels the
 *       attempt still running and makes the retryable dead letter.</li>
 * </ul>
 * The budget of an object starts at its first attempt in this operator instance: after a restart,
 * the restored in-flight objects get a fresh one. Thread-safe: attempts complete on the HTTP
 * client's threads, timeouts run on the task thread.
 */
public final class ObjectFetcher {

    static final String STAGE = "fetch";

    /** Called for every failed attempt that will be retried, for the metric. */
    @FunctionalInterface
    public interface RetryListener {
        void onRetry(ObjectRef ref, int attempt, FetchException cause);
    }

    /** What is known about one object while its attempts go on. */
    private static final class Attempts {
        final long startNanos;
        int count;
        volatile CompletableFuture<byte[]> running;
        volatile FetchException last;

        Attempts(long startNanos) {
            this.startNanos = startNanos;
        }
    }

    private final ObjectStore store;
    private final Duration attemptTimeout;
    private final Duration budget;
    private final LongSupplier nanoClock;
    private final RetryListener retryListener;
    private final Map<ObjectRef, Attempts> inFlight = new ConcurrentHashMap<>();

    public ObjectFetcher(ObjectStore store, Duration attemptTimeout, Duration budget, LongSupplier nanoClock,
            RetryListener retryListener) {
        this.store = store;
        this.attemptTimeout = attemptTimeout;
        this.budget = budget;
        this.nanoClock = nanoClock;
        this.retryListener = retryListener;
    }

    /** One read of {@code ref}; see the class comment for how it completes. */
    public CompletableFuture<FetchResult> attempt(ObjectRef ref) {
        Attempts attempts = inFlight.computeIfAbsent(ref, r -> new Attempts(nanoClock.getAsLong()));
        int number;
        synchronized (attempts) {
            number = ++attempts.count;
        }
        long left = budget.toNanos() - (nanoClock.getAsLong() - attempts.startNanos);
        if (left <= 0) {
            // The backoff before this attempt ran past the budget: no request, the last error stands.
            return CompletableFuture.completedFuture(spent(ref, attempts, false));
        }
        CompletableFuture<byte[]> read = store.read(ref, Duration.ofNanos(Math.min(left, attemptTimeout.toNanos())));
        attempts.running = read;
        return read.handle((bytes, error) -> {
            if (error == null) {
                inFlight.remove(ref);
                return FetchResult.success(ref, bytes);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof StoragePermissionException denied) {
                inFlight.remove(ref);
                throw denied;
            }
            if (cause instanceof CancellationException) {
                return null; // giveUp cancelled it and made the dead letter
            }
            FetchException e = cause instanceof FetchException f ? f
                    : new FetchException(DeadLetterReason.FETCH_ERROR, true, String.valueOf(cause));
            if (!e.retryable()) {
                inFlight.remove(ref);
                return FetchResult.failure(ref, deadLetter(ref, e.reason(), e.getMessage(), false));
            }
            attempts.last = e;
            if (nanoClock.getAsLong() - attempts.startNanos >= budget.toNanos()) {
                return spent(ref, attempts, false);
            }
            retryListener.onRetry(ref, number, e);
            return FetchResult.retry(ref, deadLetter(ref, e.reason(), "attempt " + number + ": " + e.getMessage(), true));
        });
    }

    /** The operator's timeout fired: cancels a running attempt, returns the retryable dead letter. */
    public FetchResult giveUp(ObjectRef ref) {
        Attempts attempts = inFlight.get(ref);
        if (attempts == null) {
            return FetchResult.failure(ref, deadLetter(ref, DeadLetterReason.FETCH_TIMEOUT,
                    "no attempt finished within the retry budget of " + budget + " (--fetch-retry-budget)", true));
        }
        CompletableFuture<byte[]> running = attempts.running;
        boolean stillRunning = running != null && !running.isDone();
        FetchResult result = spent(ref, attempts, stillRunning);
        if (stillRunning) {
            running.cancel(true);
        }
        return result;
    }

    private FetchResult spent(ObjectRef ref, Attempts attempts, boolean stillRunning) {
        inFlight.remove(ref);
        FetchException last = attempts.last;
        DeadLetterReason reason = stillRunning || last == null ? DeadLetterReason.FETCH_TIMEOUT : last.reason();
        String message = "retry budget of " + budget + " (--fetch-retry-budget) spent after " + attempts.count
                + " attempt(s)" + (stillRunning ? ", the last one still running" : "")
                + (last != null ? "; last error: " + last.getMessage() : "");
        return FetchResult.failure(ref, deadLetter(ref, reason, message, true));
    }

    /** Objects with attempts going on. */
    public int inFlight() {
        return inFlight.size();
    }

    private static DeadLetter deadLetter(ObjectRef ref, DeadLetterReason reason, String message, boolean retryable) {
        return DeadLetter.of(ref, reason, message, STAGE, retryable);
    }
}
