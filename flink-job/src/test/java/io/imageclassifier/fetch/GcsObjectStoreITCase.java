package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.testing.FaultProxy;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link GcsObjectStore} against fake-gcs-server, through a {@link FaultProxy} that counts the
 * requests and bytes and injects the service's faults.
 */
class GcsObjectStoreITCase {

    private static final String BUCKET = "store-it";
    private static final long LIMIT = 1 << 20;

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    private static Storage storage;
    private FaultProxy proxy;
    private GcsObjectStore store;

    @BeforeAll
    static void bucket() {
        storage = EMULATORS.storage();
        // Versioned, so an overwritten generation stays readable: the read must pick the notified one.
        storage.create(BucketInfo.newBuilder(BUCKET).setVersioningEnabled(true).build());
    }

    @AfterAll
    static void closeStorage() throws Exception {
        storage.close();
    }

    @BeforeEach
    void start() throws Exception {
        proxy = FaultProxy.to(EMULATORS.gcsEndpoint());
        store = new GcsObjectStore(proxy.endpoint(), GcsCredentials.none(), LIMIT, Duration.ofSeconds(5), 4);
    }

    @AfterEach
    void stop() throws Exception {
        store.close();
        proxy.close();
    }

    private static Blob upload(String name, byte[] bytes) {
        return storage.create(BlobInfo.newBuilder(BUCKET, name).setContentType("image/jpeg").build(), bytes);
    }

    private static ObjectRef ref(Blob blob, long announcedSize) {
        return new ObjectRef(ObjectRef.SOURCE_GCS, blob.getBucket(), blob.getName(), Long.toString(blob.getGeneration()),
                announcedSize, "image/jpeg", null, null, "m-1", 0L);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private Throwable failureOf(ObjectRef ref, Duration timeout) {
        Throwable t = catchThrowable(() -> store.read(ref, timeout).get());
        assertThat(t).isInstanceOf(ExecutionException.class);
        return t.getCause();
    }

    @Test
    void readsExactlyTheNotifiedGenerationWithOneRequest() throws Exception {
        byte[] first = random(1000);
        Blob v1 = upload("dir/cat one.jpg", first);
        upload("dir/cat one.jpg", random(2000)); // a newer generation of the same name

        assertThat(store.read(ref(v1, first.length), Duration.ofSeconds(5)).get()).isEqualTo(first);
        assertThat(proxy.requests()).containsExactly("GET /download/storage/v1/b/" + BUCKET
                + "/o/dir%2Fcat%20one.jpg?alt=media&generation=" + v1.getGeneration());
    }

    @Test
    void aGenerationThatDoesNotExistIsNotFoundAndFinal() {
        Blob blob = upload("gone.jpg", random(10));
        ObjectRef wrongGeneration = new ObjectRef(ObjectRef.SOURCE_GCS, BUCKET, "gone.jpg",
                Long.toString(blob.getGeneration() - 1), 10, "image/jpeg", null, null, null, 0L);

        assertThat(failureOf(wrongGeneration, Duration.ofSeconds(5))).isInstanceOfSatisfying(FetchException.class, e -> {
            assertThat(e.reason().code()).isEqualTo("not_found");
            assertThat(e.retryable()).isFalse();
        });
    }

    @Test
    void anObjectAnnouncedOverTheLimitIsRefusedWithoutARequest() {
        Blob blob = upload("big-announced.jpg", random(10));

        assertThat(failureOf(ref(blob, LIMIT + 1), Duration.ofSeconds(5))).isInstanceOfSatisfying(FetchException.class,
                e -> assertThat(e.reason().code()).isEqualTo("too_large"));
        assertThat(proxy.requests()).isEmpty();
    }

    @Test
    void anObjectOfUnknownSizeOverTheLimitIsRefusedWithoutBeingReadToItsEnd() {
        int size = 32 << 20;
        Blob blob = upload("big-unannounced.jpg", random(size));

        assertThat(failureOf(ref(blob, -1), Duration.ofSeconds(20))).isInstanceOfSatisfying(FetchException.class, e -> {
            assertThat(e.reason().code()).isEqualTo("too_large");
            assertThat(e.retryable()).isFalse();
        });
        assertThat(proxy.bytesToClient()).isLessThan(size / 2);
    }

    @Test
    void serverErrorsAndRefusedConnectionsAreRetryableAndReadsWorkAgainAfterwards() throws Exception {
        byte[] bytes = random(100);
        ObjectRef ref = ref(upload("flaky.jpg", bytes), bytes.length);

        proxy.answer(503, "{\"error\":{\"code\":503,\"message\":\"Backend unavailable\"}}");
        assertThat(failureOf(ref, Duration.ofSeconds(5))).isInstanceOfSatisfying(FetchException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.getMessage()).contains("HTTP 503", "Backend unavailable");
        });
        proxy.refuseConnections();
        assertThat(failureOf(ref, Duration.ofSeconds(5))).isInstanceOfSatisfying(FetchException.class,
                e -> assertThat(e.retryable()).isTrue());
        proxy.heal();

        assertThat(store.read(ref, Duration.ofSeconds(5)).get()).isEqualTo(bytes);
    }

    @Test
    void aDownloadThatStallsMidStreamEndsAtItsDeadline() throws Exception {
        byte[] bytes = random(200_000);
        ObjectRef ref = ref(upload("stalling.jpg", bytes), bytes.length);

        proxy.stallResponses(20_000);
        long start = System.nanoTime();
        assertThat(failureOf(ref, Duration.ofSeconds(2))).isInstanceOfSatisfying(FetchException.class, e -> {
            assertThat(e.reason().code()).isEqualTo("fetch_timeout");
            assertThat(e.retryable()).isTrue();
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(proxy.bytesToClient()).isGreaterThan(0); // it stalled mid-stream, not before the answer
        proxy.heal();

        assertThat(store.read(ref, Duration.ofSeconds(5)).get()).isEqualTo(bytes);
    }

    @Test
    void closingTheStoreEndsAnAttemptBlockedOnAStalledReadAndItsThreadEndsByTheDeadline() throws Exception {
        CompletableFuture<byte[]> pending = downloadStalledMidBody("stalled-at-close.jpg", Duration.ofSeconds(4));
        long closedAt = System.nanoTime();

        store.close();
        assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isLessThan(Duration.ofSeconds(1));

        Throwable t = catchThrowable(() -> pending.get(1, TimeUnit.SECONDS));
        assertThat(t).isInstanceOf(ExecutionException.class).cause().isInstanceOfSatisfying(FetchException.class,
                e -> assertThat(e.retryable()).isTrue());
        // The stalled read cannot be interrupted; its socket timeout (what was left of the 4 s) frees it.
        long until = closedAt + Duration.ofSeconds(10).toNanos();
        while (downloadThreads() > 0 && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertThat(downloadThreads()).isZero();
        proxy.heal();
    }

    @Test
    void givingUpAnAttemptBlockedOnAStalledReadDoesNotBlockTheCaller() throws Exception {
        CompletableFuture<byte[]> pending = downloadStalledMidBody("stalled-given-up.jpg", Duration.ofSeconds(30));

        // What the deadline thread and the retry budget do: complete the attempt from outside.
        long start = System.nanoTime();
        pending.cancel(true);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        proxy.heal();
    }

    /** Starts a read whose answer stalls after its first bytes, and returns once a thread is blocked mid-body. */
    private CompletableFuture<byte[]> downloadStalledMidBody(String name, Duration timeout) throws Exception {
        byte[] bytes = random(200_000);
        ObjectRef ref = ref(upload(name, bytes), bytes.length);
        proxy.stallResponses(60_000);
        CompletableFuture<byte[]> pending = store.read(ref, timeout);
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (proxy.bytesToClient() == 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(proxy.bytesToClient()).isGreaterThan(0);
        return pending;
    }

    private static long downloadThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("gcs-fetch-")
                && !t.getName().equals("gcs-fetch-deadlines")).count();
    }

    @Test
    void aRefusedPermissionNamesThePrincipalAndTheRoleItNeeds() {
        ObjectRef ref = ref(upload("secret.jpg", random(10)), 10);
        proxy.answer(403, "{\"error\":{\"code\":403,\"message\":\"caller does not have storage.objects.get access\"}}");

        assertThat(failureOf(ref, Duration.ofSeconds(5))).isInstanceOf(StoragePermissionException.class)
                .hasMessageContaining("HTTP 403")
                .hasMessageContaining("gs://" + BUCKET + "/secret.jpg")
                .hasMessageContaining("no credentials (emulator endpoint)")
                .hasMessageContaining("roles/storage.objectViewer")
                .hasMessageContaining("caller does not have storage.objects.get access");
    }
}
