package io.imageclassifier.source.backfill.enumerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.notification.GcsNotification;
import io.imageclassifier.source.notification.GcsNotificationParser;
import io.imageclassifier.source.pubsub.PubSubMessage;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reading a page of the JSON API's {@code objects.list} (a response in the documented format, whose
 * first item is the object of the {@code finalize-jpeg.json} notification sample).
 */
class GcsBucketListerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final GcsBucketLister lister = new GcsBucketLister(null, "https://storage.googleapis.com/",
            "photos-inbox", "2026/", 1000, Duration.ofMillis(100));

    @Test
    void aListedObjectIsTheReferenceItsNotificationGivesButForTheMessageId() throws Exception {
        BucketLister.Page page = lister.parse(JSON.readTree(resource("/listings/objects-list-page.json")), 42L);
        PubSubMessage notification = notification("/notifications/finalize-jpeg.json");
        ObjectRef notified = ((GcsNotification.Finalized) GcsNotificationParser.parse(notification, 42L)).ref();

        ObjectRef listed = page.objects().get(0);
        assertThat(listed).isEqualTo(new ObjectRef(notified.source(), notified.bucket(), notified.name(),
                notified.version(), notified.size(), notified.contentType(), notified.timeCreated(), notified.updated(),
                null, 42L));
        assertThat(listed.key()).isEqualTo(notified.key());
    }

    @Test
    void keepsWhatTheResourceSaysAndWhereTheNextPageStarts() throws Exception {
        BucketLister.Page page = lister.parse(JSON.readTree(resource("/listings/objects-list-page.json")), 7L);

        assertThat(page.objects()).hasSize(2);
        assertThat(page.objects().get(1)).isEqualTo(new ObjectRef(ObjectRef.SOURCE_GCS, "photos-inbox",
                "2026/11/27/notes", "1764243262391999", 0, null, "2026-11-27T11:34:23.000001Z", "2026-11-27T11:35:00Z",
                null, 7L));
        assertThat(page.nextPageToken()).isEqualTo("CiEyMDI2LzExLzI3L0lNR18wMDQzLmpwZw==");
        assertThat(page.last()).isFalse();
        assertThat(lister.parse(JSON.readTree("{\"kind\":\"storage#objects\"}"), 7L))
                .satisfies(empty -> assertThat(empty.objects()).isEmpty())
                .satisfies(empty -> assertThat(empty.last()).isTrue());
    }

    @Test
    void anItemWithoutAGenerationIsAnErrorNotAGuess() {
        assertThatThrownBy(() -> lister.parse(JSON.readTree("{\"items\":[{\"name\":\"a.jpg\"}]}"), 0L))
                .hasMessageContaining("generation").hasMessageContaining("a.jpg");
    }

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = GcsBucketListerTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    /** A notification sample as the Pub/Sub source hands it on (its data is the resource's JSON). */
    private static PubSubMessage notification(String name) throws Exception {
        var root = JSON.readTree(resource(name));
        Map<String, String> attributes = JSON.convertValue(root.get("attributes"),
                JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class));
        return new PubSubMessage(root.get("messageId").asText(), attributes,
                JSON.writeValueAsString(root.get("data")).getBytes(StandardCharsets.UTF_8), 0L);
    }
}
