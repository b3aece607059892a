package io.imageclassifier.fetch;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.flink.streaming.api.functions.async.AsyncRetryPredicate;
import org.apache.flink.streaming.api.functions.async.AsyncRetryStrategy;

/**
 * When the async fetch operator tries an object again: after a {@link FetchResult#retryPending()}
 * result, with exponential backoff ({@code initial}, 2x, 4x, ... up to {@code max}), for as long
 * as the object's retry budget allows ({@link ObjectFetcher} keeps it); no attempt limit.
 *
 * <p>Not Flink's {@code ExponentialBackoffDelayRetryStrategy}: that one keeps the last delay in
 * one field shared by every in-flight element, so one object's first retry resets the backoff of
 * all the others. Here the delay is a function of the element's own attempt number.
 */
public final class FetchRetryStrategy implements AsyncRetryStrategy<FetchResult> {
    private static final long serialVersionUID = 1L;

    private final long initialMillis;
    private final long maxMillis;

    public FetchRetryStrategy(Duration initial, Duration max) {
        this.initialMillis = Math.max(1, initial.toMillis());
        this.maxMillis = Math.max(initialMillis, max.toMillis());
    }

    @Override
    public boolean canRetry(int currentAttempts) {
        return true;
    }

    /** The delay after attempt {@code currentAttempts} (1 = the first) failed. */
    @Override
    public long getBackoffTimeMillis(int currentAttempts) {
        int doublings = Math.min(Math.max(0, currentAttempts - 1), 40);
        long delay = initialMillis << Math.min(doublings, Long.numberOfLeadingZeros(initialMillis) - 1);
        return Math.min(maxMillis, delay);
    }

    @Override
    public AsyncRetryPredicate<FetchResult> getRetryPredicate() {
        return new RetryPending();
    }

    /** Retries results that say so; never exceptions (a permission error fails the job). */
    private static final class RetryPending implements AsyncRetryPredicate<FetchResult>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Optional<Predicate<Collection<FetchResult>>> resultPredicate() {
            return Optional.of(results -> results.stream().anyMatch(FetchResult::retryPending));
        }

        @Override
        public Optional<Predicate<Throwable>> exceptionPredicate() {
            return Optional.empty();
        }
    }
}
