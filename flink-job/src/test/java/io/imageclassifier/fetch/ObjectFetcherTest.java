package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ObjectFetcherTest {

    private static final ObjectRef REF = new ObjectRef(ObjectRef.SOURCE_GCS, "b", "cat.jpg", "17", 3, "image/jpeg",
            null, null, "m1", 0L);

    /** Scripted store: each call takes the next failure, or succeeds; records the time each call got. */
    private static final class FakeStore implements ObjectStore {
        final Deque<Exception> failures = new ArrayDeque<>();
        final List<Duration> timeouts = new ArrayList<>();

        @Override
        public CompletableFuture<byte[]> read(ObjectRef ref, Duration timeout) {
            timeouts.add(timeout);
            return failures.isEmpty() ? CompletableFuture.completedFuture(new byte[] {1, 2, 3})
                    : CompletableFuture.failedFuture(failures.pop());
        }

        @Override
        public void close() {}
    }

    private final FakeStore store = new FakeStore();
    private final List<Duration> sleeps = new ArrayList<>();
    private long now;

    private ObjectFetcher fetcher(int retries, Duration timeout) {
        return new ObjectFetcher(store, retries, Duration.ofMillis(100), timeout, d -> {
            sleeps.add(d);
            now += d.toNanos();
        }, () -> now, (ref, attempt, cause) -> {});
    }

    private static FetchException transientFailure(DeadLetterReason reason) {
        return new FetchException(reason, true, "transient " + reason.code());
    }

    @Test
    void aSuccessfulReadIsOneCallToTheStore() {
        FetchResult r = fetcher(3, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.bytes()).containsExactly(1, 2, 3);
        assertThat(store.timeouts).hasSize(1);
    }

    @Test
    void retriesRetryableFailuresWithExponentialBackoffEachAttemptGettingWhatIsLeft() {
        store.failures.add(transientFailure(DeadLetterReason.FETCH_ERROR));
        store.failures.add(transientFailure(DeadLetterReason.FETCH_TIMEOUT));

        FetchResult r = fetcher(3, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.failed()).isFalse();
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(store.timeouts).containsExactly(Duration.ofSeconds(10), Duration.ofMillis(9900),
                Duration.ofMillis(9700));
    }

    @Test
    void finalFailuresAreNotRetried() {
        store.failures.add(new FetchException(DeadLetterReason.NOT_FOUND, false, "gone"));

        FetchResult r = fetcher(3, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.failure().reason()).isEqualTo("not_found");
        assertThat(r.failure().stage()).isEqualTo("fetch");
        assertThat(r.failure().messageId()).isEqualTo("m1");
        assertThat(sleeps).isEmpty();
    }

    @Test
    void timeoutsThatOutlastTheRetriesBecomeFetchTimeoutAndErrorsFetchError() {
        for (int i = 0; i < 3; i++) {
            store.failures.add(transientFailure(DeadLetterReason.FETCH_TIMEOUT));
        }
        assertThat(fetcher(2, Duration.ofSeconds(10)).fetch(REF).failure().reason()).isEqualTo("fetch_timeout");
        for (int i = 0; i < 3; i++) {
            store.failures.add(transientFailure(DeadLetterReason.FETCH_ERROR));
        }
        assertThat(fetcher(2, Duration.ofSeconds(10)).fetch(REF).failure().reason()).isEqualTo("fetch_error");
    }

    @Test
    void stopsRetryingWhenTheNextBackoffWouldPassTheDeadline() {
        for (int i = 0; i < 10; i++) {
            store.failures.add(transientFailure(DeadLetterReason.FETCH_ERROR));
        }

        FetchResult r = fetcher(10, Duration.ofMillis(350)).fetch(REF);

        assertThat(r.failure().reason()).isEqualTo("fetch_timeout");
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    }
}
