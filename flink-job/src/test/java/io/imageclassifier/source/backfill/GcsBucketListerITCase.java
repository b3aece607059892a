package io.imageclassifier.source.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import com.google.pubsub.v1.PubsubMessage;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.backfill.enumerator.BucketLister;
import io.imageclassifier.source.backfill.enumerator.GcsBucketLister;
import io.imageclassifier.source.notification.GcsNotification;
import io.imageclassifier.source.notification.GcsNotificationParser;
import io.imageclassifier.source.pubsub.PubSubMessage;
import io.imageclassifier.testing.FaultProxy;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bucket lister against fake-gcs-server: its paging ({@code maxResults}/{@code pageToken}: they
 * work there, the token being the next object's name), that a listed object is exactly the
 * reference its notification gives, and how errors are sorted (retried while transient, thrown
 * when permanent).
 */
class GcsBucketListerITCase {

    private static final String BUCKET = "lister-it";

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    @BeforeAll
    static void bucketWithTenObjects() throws Exception {
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(BUCKET));
            for (int i = 0; i < 8; i++) {
                upload(storage, BUCKET, String.format("a/img-%02d.jpg", i));
            }
            upload(storage, BUCKET, "b/other-1.jpg");
            upload(storage, BUCKET, "b/other-2.jpg");
        }
    }

    @Test
    void pagesThroughThePrefixInNameOrderWithEveryObjectOnce() throws Exception {
        List<Integer> pageSizes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (BucketLister lister = lister(EMULATORS.gcsEndpoint(), BUCKET, "a/", 3)) {
            String token = null;
            do {
                BucketLister.Page page = lister.list(token);
                pageSizes.add(page.objects().size());
                page.objects().forEach(r -> names.add(r.name()));
                token = page.nextPageToken();
            } while (token != null);
        }
        assertThat(pageSizes).containsExactly(3, 3, 2);
        assertThat(names).hasSize(8).doesNotHaveDuplicates().isSorted().allMatch(n -> n.startsWith("a/img-"));
    }

    @Test
    void aListedObjectIsExactlyTheReferenceItsNotificationGivesButForTheMessageId() throws Exception {
        String bucket = "lister-vs-notification";
        String subscription = "projects/" + CloudEmulators.PROJECT + "/subscriptions/" + bucket;
        EMULATORS.pubsub().createSubscription(subscription, CloudEmulators.NOTIFICATION_TOPIC);
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(bucket));
            for (String name : List.of("x/cat.jpg", "x/dog.png", "x/notes.txt")) {
                upload(storage, bucket, name);
            }
        }
        Map<String, ObjectRef> notified = new java.util.HashMap<>();
        for (PubsubMessage m : EMULATORS.pubsub().drain(subscription, Duration.ofSeconds(2))) {
            GcsNotification n = GcsNotificationParser.parse(new PubSubMessage(m.getMessageId(), m.getAttributesMap(),
                    m.getData().toByteArray(), 0L), 0L);
            if (n instanceof GcsNotification.Finalized f && f.ref().bucket().equals(bucket)) {
                notified.put(f.ref().name(), f.ref());
            }
        }
        List<ObjectRef> listed;
        try (BucketLister lister = lister(EMULATORS.gcsEndpoint(), bucket, "", 1000)) {
            listed = lister.list(null).objects();
        }

        assertThat(notified).hasSize(3);
        assertThat(listed.stream().map(r -> withoutMessage(r)).collect(Collectors.toMap(ObjectRef::name,
                Function.identity()))).isEqualTo(notified.values().stream().map(r -> withoutMessage(r))
                .collect(Collectors.toMap(ObjectRef::name, Function.identity())));
        assertThat(listed).allSatisfy(r -> assertThat(r.timeCreated()).isNotBlank());
    }

    @Test
    void transientErrorsAreRetriedUntilTheServicePassesAgain() throws Exception {
        try (FaultProxy proxy = FaultProxy.to(EMULATORS.gcsEndpoint());
                BucketLister lister = lister(proxy.endpoint(), BUCKET, "b/", 10)) {
            proxy.answer(503, "{\"error\":{\"code\":503,\"message\":\"Backend Error\"}}");
            CompletableFuture<BucketLister.Page> page = CompletableFuture.supplyAsync(() -> {
                try {
                    return lister.list(null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(1500); // backoff 100, 200, 400, 800 ms: several attempts answered 503
            assertThat(page).isNotDone();
            proxy.heal();

            assertThat(page.get().objects()).extracting(ObjectRef::name).containsExactly("b/other-1.jpg", "b/other-2.jpg");
        }
    }

    @Test
    void permanentErrorsAreThrownAtOnceNamingTheBucket() throws Exception {
        try (BucketLister lister = lister(EMULATORS.gcsEndpoint(), "no-such-bucket", "", 10)) {
            assertThatThrownBy(() -> lister.list(null)).hasMessageContaining("gs://no-such-bucket/")
                    .hasMessageContaining("HTTP 404");
        }
        try (FaultProxy proxy = FaultProxy.to(EMULATORS.gcsEndpoint());
                BucketLister lister = lister(proxy.endpoint(), BUCKET, "", 10)) {
            proxy.answer(403, "{\"error\":{\"code\":403,\"message\":\"does not have storage.objects.list access\"}}");
            assertThatThrownBy(() -> lister.list(null)).hasMessageContaining("HTTP 403")
                    .hasMessageContaining("storage.objects.list");
        }
    }

    private static BucketLister lister(String endpoint, String bucket, String prefix, int pageSize) {
        GcsConfig gcs = new GcsConfig(endpoint, CloudEmulators.PROJECT, 4, Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofMillis(100));
        return GcsBucketLister.factory(gcs, bucket, prefix, pageSize).create();
    }

    private static ObjectRef withoutMessage(ObjectRef r) {
        return new ObjectRef(r.source(), r.bucket(), r.name(), r.version(), r.size(), r.contentType(), r.timeCreated(),
                r.updated(), null, 0L);
    }

    private static void upload(Storage storage, String bucket, String name) {
        String type = name.endsWith(".txt") ? "text/plain" : name.endsWith(".png") ? "image/png" : "image/jpeg";
        storage.create(BlobInfo.newBuilder(bucket, name).setContentType(type).build(),
                ("bytes of " + name).getBytes(StandardCharsets.UTF_8));
    }
}
