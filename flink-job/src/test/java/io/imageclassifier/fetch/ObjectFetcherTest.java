package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.fetch.ObjectStore.ObjectMeta;
import io.imageclassifier.fetch.ObjectStore.ObjectStoreException;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObjectFetcherTest {

    private static final ObjectRef REF = new ObjectRef(ObjectRef.SOURCE_GCS, "b", "cat.jpg", "17", 3, "image/jpeg",
            null, null, "m1", 0L);

    /** Scripted store: each call takes the next outcome (an exception, or success). */
    private static final class FakeStore implements ObjectStore {
        final Deque<ObjectStoreException> statFailures = new ArrayDeque<>();
        final List<String> calls = new ArrayList<>();
        ObjectMeta meta = new ObjectMeta(3, "image/jpeg");

        @Override
        public ObjectMeta stat(String bucket, String name, long generation) throws ObjectStoreException {
            calls.add("stat " + bucket + "/" + name + "#" + generation);
            if (!statFailures.isEmpty()) {
                throw statFailures.pop();
            }
            return meta;
        }

        @Override
        public byte[] read(String bucket, String name, long generation) {
            calls.add("read " + bucket + "/" + name + "#" + generation);
            return new byte[] {1, 2, 3};
        }

        @Override
        public void close() {}
    }

    private final FakeStore store = new FakeStore();
    private final List<Duration> sleeps = new ArrayList<>();
    private long now;

    private ObjectFetcher fetcher(int retries, Duration timeout) {
        return new ObjectFetcher(store, 10, retries, Duration.ofMillis(100), timeout, d -> {
            sleeps.add(d);
            now += d.toNanos();
        }, () -> now, (ref, attempt, cause) -> {});
    }

    private static ObjectStoreException http(int status) {
        return new ObjectStoreException(status, false, "status " + status, null);
    }

    @Test
    void readsExactlyTheGenerationOfTheNotificationAfterCheckingItsMetadata() {
        FetchResult r = fetcher(3, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.failed()).isFalse();
        assertThat(r.bytes()).containsExactly(1, 2, 3);
        assertThat(store.calls).containsExactly("stat b/cat.jpg#17", "read b/cat.jpg#17");
    }

    @Test
    void retriesServerErrorsAndThrottlingWithExponentialBackoff() {
        store.statFailures.add(http(503));
        store.statFailures.add(http(429));
        store.statFailures.add(new ObjectStoreException(0, true, "read timed out", null));

        FetchResult r = fetcher(3, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.failed()).isFalse();
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400));
    }

    @Test
    void aMissingGenerationIsNotFoundAtOnce() {
        store.meta = null;

        FetchResult r = fetcher(3, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.failure().reason()).isEqualTo("not_found");
        assertThat(r.failure().stage()).isEqualTo("fetch");
        assertThat(r.failure().messageId()).isEqualTo("m1");
        assertThat(sleeps).isEmpty();
    }

    @Test
    void forbiddenAndNotFoundAreNotRetried() {
        store.statFailures.add(http(403));
        assertThat(fetcher(3, Duration.ofSeconds(10)).fetch(REF).failure().reason()).isEqualTo("forbidden");
        store.statFailures.add(http(404));
        assertThat(fetcher(3, Duration.ofSeconds(10)).fetch(REF).failure().reason()).isEqualTo("not_found");
        assertThat(sleeps).isEmpty();
    }

    @Test
    void anObjectOverTheLimitIsRejectedBeforeAnyByteIsRead() {
        store.meta = new ObjectMeta(11, "image/jpeg");

        FetchResult r = fetcher(3, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.failure().reason()).isEqualTo("too_large");
        assertThat(store.calls).containsExactly("stat b/cat.jpg#17");
    }

    @Test
    void timeoutsThatOutlastTheRetriesBecomeFetchTimeout() {
        for (int i = 0; i < 3; i++) {
            store.statFailures.add(new ObjectStoreException(0, true, "connect timed out", null));
        }

        FetchResult r = fetcher(2, Duration.ofSeconds(10)).fetch(REF);

        assertThat(r.failure().reason()).isEqualTo("fetch_timeout");
        assertThat(sleeps).hasSize(2);
    }

    @Test
    void serverErrorsThatOutlastTheRetriesBecomeFetchError() {
        for (int i = 0; i < 3; i++) {
            store.statFailures.add(http(500));
        }

        assertThat(fetcher(2, Duration.ofSeconds(10)).fetch(REF).failure().reason()).isEqualTo("fetch_error");
    }

    @Test
    void stopsRetryingWhenTheNextBackoffWouldPassTheDeadline() {
        for (int i = 0; i < 10; i++) {
            store.statFailures.add(http(503));
        }

        FetchResult r = fetcher(10, Duration.ofMillis(350)).fetch(REF);

        assertThat(r.failure().reason()).isEqualTo("fetch_timeout");
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    }
}
