package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ObjectFetcherTest {

    private static final ObjectRef REF = new ObjectRef(ObjectRef.SOURCE_GCS, "b", "cat.jpg", "17", 3, "image/jpeg",
            null, null, "m1", 0L);
    private static final Duration ATTEMPT = Duration.ofSeconds(10);
    private static final Duration BUDGET = Duration.ofSeconds(60);

    /** Scripted store: each call takes the next outcome (null: hang until cancelled), else succeeds. */
    private static final class FakeStore implements ObjectStore {
        final Deque<Exception> failures = new ArrayDeque<>();
        final List<Duration> timeouts = new ArrayList<>();
        final List<CompletableFuture<byte[]>> hanging = new ArrayList<>();
        boolean hang;

        @Override
        public CompletableFuture<byte[]> read(ObjectRef ref, Duration timeout) {
            timeouts.add(timeout);
            if (hang) {
                CompletableFuture<byte[]> f = new CompletableFuture<>();
                hanging.add(f);
                return f;
            }
            return failures.isEmpty() ? CompletableFuture.completedFuture(new byte[] {1, 2, 3})
                    : CompletableFuture.failedFuture(failures.pop());
        }

        @Override
        public void close() {}
    }

    private final FakeStore store = new FakeStore();
    private final List<Integer> retries = new ArrayList<>();
    private long now;
    private final ObjectFetcher fetcher = new ObjectFetcher(store, ATTEMPT, BUDGET, () -> now,
            (ref, attempt, cause) -> retries.add(attempt));

    private static FetchException transientFailure(DeadLetterReason reason) {
        return new FetchException(reason, true, "transient " + reason.code());
    }

    private FetchResult attempt() {
        return fetcher.attempt(REF).join();
    }

    @Test
    void aSuccessfulReadIsOneCallToTheStoreWithTheAttemptTimeout() {
        FetchResult r = attempt();

        assertThat(r.bytes()).containsExactly(1, 2, 3);
        assertThat(store.timeouts).containsExactly(ATTEMPT);
        assertThat(fetcher.inFlight()).isZero();
    }

    @Test
    void aTransientFailureAsksForARetryAndTheNextAttemptMaySucceed() {
        store.failures.add(transientFailure(DeadLetterReason.FETCH_ERROR));

        FetchResult first = attempt();
        assertThat(first.retryPending()).isTrue();
        assertThat(first.failure().retryable()).isTrue();
        assertThat(retries).containsExactly(1);
        assertThat(fetcher.inFlight()).isEqualTo(1);

        now += Duration.ofSeconds(5).toNanos();
        FetchResult second = attempt();
        assertThat(second.failed()).isFalse();
        assertThat(fetcher.inFlight()).isZero();
    }

    @Test
    void finalFailuresAreDeadLettersAtOnceNotRetryable() {
        store.failures.add(new FetchException(DeadLetterReason.NOT_FOUND, false, "gone"));

        FetchResult r = attempt();

        assertThat(r.retryPending()).isFalse();
        assertThat(r.failure().reason()).isEqualTo("not_found");
        assertThat(r.failure().retryable()).isFalse();
        assertThat(retries).isEmpty();
        assertThat(fetcher.inFlight()).isZero();
    }

    @Test
    void eachAttemptGetsAtMostWhatIsLeftOfTheBudget() {
        store.failures.add(transientFailure(DeadLetterReason.FETCH_ERROR));
        attempt();
        now += Duration.ofSeconds(55).toNanos();

        attempt();

        assertThat(store.timeouts).containsExactly(ATTEMPT, Duration.ofSeconds(5));
    }

    @Test
    void onceTheBudgetIsSpentTheLastErrorBecomesARetryableDeadLetter() {
        store.failures.add(transientFailure(DeadLetterReason.FETCH_ERROR));
        store.failures.add(transientFailure(DeadLetterReason.FETCH_ERROR));
        attempt();
        now += Duration.ofSeconds(30).toNanos();
        attempt();
        now += Duration.ofSeconds(31).toNanos();

        // The backoff ran past the budget: no request, the dead letter at once.
        FetchResult r = attempt();

        assertThat(store.timeouts).hasSize(2);
        assertThat(r.retryPending()).isFalse();
        assertThat(r.failure().retryable()).isTrue();
        assertThat(r.failure().reason()).isEqualTo("fetch_error");
        assertThat(r.failure().message()).contains("3 attempt(s)").contains("transient fetch_error");
        assertThat(fetcher.inFlight()).isZero();
    }

    @Test
    void anAttemptFailingAfterTheBudgetEndsIsTheDeadLetterNotAnotherRetry() {
        store.hang = true;
        CompletableFuture<FetchResult> running = fetcher.attempt(REF);
        now += BUDGET.toNanos();
        store.hanging.get(0).completeExceptionally(transientFailure(DeadLetterReason.FETCH_TIMEOUT));

        FetchResult r = running.join();

        assertThat(r.retryPending()).isFalse();
        assertThat(r.failure().retryable()).isTrue();
        assertThat(r.failure().reason()).isEqualTo("fetch_timeout");
    }

    @Test
    void givingUpCancelsTheRunningAttemptAndItsLateOutcomeIsIgnored() {
        store.hang = true;
        CompletableFuture<FetchResult> running = fetcher.attempt(REF);

        FetchResult r = fetcher.giveUp(REF);

        assertThat(store.hanging.get(0)).isCancelled();
        assertThat(running.join()).isNull();
        assertThat(r.failure().reason()).isEqualTo("fetch_timeout");
        assertThat(r.failure().retryable()).isTrue();
        assertThat(r.failure().message()).contains("still running");
        assertThat(fetcher.inFlight()).isZero();
    }

    @Test
    void aPermissionErrorFailsTheAttemptSoTheJobFails() {
        store.failures.add(new StoragePermissionException("no roles/storage.objectViewer"));

        assertThatThrownBy(this::attempt).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(StoragePermissionException.class);
        assertThat(fetcher.inFlight()).isZero();
    }

    @Test
    void theRetryStrategyBacksOffPerObjectAndRetriesOnlyPendingResults() {
        FetchRetryStrategy strategy = new FetchRetryStrategy(Duration.ofMillis(200), Duration.ofSeconds(30));

        assertThat(List.of(1, 2, 3, 4, 9, 10, 1000).stream().map(strategy::getBackoffTimeMillis))
                .containsExactly(200L, 400L, 800L, 1600L, 30_000L, 30_000L, 30_000L);
        // The delay depends on the attempt number only: no state shared between objects.
        assertThat(strategy.getBackoffTimeMillis(3)).isEqualTo(800L);
        assertThat(strategy.canRetry(Integer.MAX_VALUE)).isTrue();
        var retry = strategy.getRetryPredicate().resultPredicate().orElseThrow();
        var dead = io.imageclassifier.record.DeadLetter.of(REF, DeadLetterReason.FETCH_ERROR, "x", "fetch", true);
        assertThat(retry.test(List.of(FetchResult.retry(REF, dead)))).isTrue();
        assertThat(retry.test(List.of(FetchResult.failure(REF, dead)))).isFalse();
        assertThat(retry.test(List.of(FetchResult.success(REF, new byte[] {1})))).isFalse();
        assertThat(strategy.getRetryPredicate().exceptionPredicate()).isEmpty();
    }
}
