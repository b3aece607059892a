package io.imageclassifier.source.notification;

import static io.imageclassifier.source.notification.NotificationSamples.load;
import static io.imageclassifier.source.notification.NotificationSamples.withAttributes;
import static io.imageclassifier.source.notification.NotificationSamples.withData;
import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.pubsub.PubSubMessage;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GcsNotificationParserTest {

    @Test
    void readsAnObjectFinalizeIntoAnObjectRefWithTheResourceFields() throws Exception {
        GcsNotification n = GcsNotificationParser.parse(load("finalize-jpeg.json"), 42L);

        assertThat(n).isInstanceOf(GcsNotification.Finalized.class);
        ObjectRef ref = ((GcsNotification.Finalized) n).ref();
        assertThat(ref).isEqualTo(new ObjectRef(ObjectRef.SOURCE_GCS, "photos-inbox", "2026/11/27/IMG_0042.jpg",
                "1764243262391204", 2315034L, "image/jpeg", "2026-11-27T11:34:22.398Z", "2026-11-27T11:34:22.398Z",
                "8251843938295870", 42L));
        assertThat(ref.key()).isEqualTo("photos-inbox/2026/11/27/IMG_0042.jpg#1764243262391204");
    }

    @Test
    void readsWhatFakeGcsServerPublishes() throws Exception {
        GcsNotification n = GcsNotificationParser.parse(load("finalize-fake-gcs-server.json"), 0L);

        ObjectRef ref = ((GcsNotification.Finalized) n).ref();
        assertThat(ref.bucket()).isEqualTo("bkt");
        assertThat(ref.name()).isEqualTo("a/tench.jpg");
        assertThat(ref.version()).isEqualTo("1795787304784299");
        assertThat(ref.size()).isEqualTo(100582L);
        assertThat(ref.timeCreated()).isEqualTo("2026-11-27T13:48:24.783048Z");
        assertThat(ref.messageId()).isEqualTo("1");
    }

    @Test
    void reportsOtherEventTypesWithoutParsingTheirData() throws Exception {
        PubSubMessage delete = withData(load("delete.json"), "not even json");

        assertThat(GcsNotificationParser.parse(delete, 0L)).isEqualTo(new GcsNotification.OtherEvent("OBJECT_DELETE"));
    }

    @Test
    void dataThatIsNotJsonIsMalformed() throws Exception {
        GcsNotification n = GcsNotificationParser.parse(withData(load("finalize-jpeg.json"), "{oops"), 0L);

        assertThat(n).isInstanceOfSatisfying(GcsNotification.Malformed.class, m -> {
            assertThat(m.problem()).startsWith("data is not JSON");
            assertThat(m.messageId()).isEqualTo("8251843938295870");
            assertThat(m.bucket()).isEqualTo("photos-inbox");
            assertThat(m.name()).isEqualTo("2026/11/27/IMG_0042.jpg");
        });
    }

    @Test
    void missingIdentityAttributesAreMalformed() throws Exception {
        for (String attribute : new String[] {"bucketId", "objectId", "objectGeneration"}) {
            Map<String, String> change = new HashMap<>();
            change.put(attribute, null);
            GcsNotification n = GcsNotificationParser.parse(withAttributes(load("finalize-jpeg.json"), change), 0L);
            assertThat(n).as(attribute).isInstanceOf(GcsNotification.Malformed.class);
        }
    }

    @Test
    void aMessageWithoutEventTypeIsMalformed() throws Exception {
        Map<String, String> change = new HashMap<>();
        change.put("eventType", null);

        assertThat(GcsNotificationParser.parse(withAttributes(load("finalize-jpeg.json"), change), 0L))
                .isInstanceOf(GcsNotification.Malformed.class);
    }

    @Test
    void payloadFormatNoneIsMalformedBecauseItCarriesNoResource() throws Exception {
        PubSubMessage none = withData(withAttributes(load("finalize-jpeg.json"), Map.of("payloadFormat", "NONE")), "");

        assertThat(GcsNotificationParser.parse(none, 0L)).isInstanceOfSatisfying(GcsNotification.Malformed.class,
                m -> assertThat(m.problem()).contains("JSON_API_V1"));
    }

    @Test
    void aResourceThatDisagreesWithTheAttributesIsMalformed() throws Exception {
        PubSubMessage m = withAttributes(load("finalize-jpeg.json"), Map.of("objectGeneration", "7"));

        assertThat(GcsNotificationParser.parse(m, 0L)).isInstanceOfSatisfying(GcsNotification.Malformed.class,
                bad -> assertThat(bad.problem()).contains("generation"));
    }

    @Test
    void aJsonArrayIsNotAnObjectResource() throws Exception {
        assertThat(GcsNotificationParser.parse(withData(load("finalize-jpeg.json"), "[1,2]"), 0L))
                .isInstanceOf(GcsNotification.Malformed.class);
    }

    @Test
    void aMissingSizeIsUnknownNotAnError() throws Exception {
        PubSubMessage m = withData(load("finalize-jpeg.json"),
                "{\"bucket\":\"photos-inbox\",\"name\":\"2026/11/27/IMG_0042.jpg\",\"contentType\":\"image/png\"}");

        ObjectRef ref = ((GcsNotification.Finalized) GcsNotificationParser.parse(m, 0L)).ref();
        assertThat(ref.size()).isEqualTo(-1L);
        assertThat(ref.contentType()).isEqualTo("image/png");
        assertThat(ref.timeCreated()).isNull();
    }

    @Test
    void aReplayIdAttributeMarksTheReferenceAsAReplayWithItsOwnDedupeKey() throws Exception {
        GcsNotification n = GcsNotificationParser.parse(
                withAttributes(load("finalize-jpeg.json"), Map.of("replayId", "dl-0123abcd")), 42L);

        ObjectRef ref = ((GcsNotification.Finalized) n).ref();
        assertThat(ref.replayId()).isEqualTo("dl-0123abcd");
        assertThat(ref.origin()).isEqualTo(ObjectRef.SOURCE_GCS);
        assertThat(ref.key()).isEqualTo("photos-inbox/2026/11/27/IMG_0042.jpg#1764243262391204#replay=dl-0123abcd");
        assertThat(ref.version()).isEqualTo("1764243262391204");
    }

    @Test
    void aReplayIdThatIsNotAPlainTokenIsMalformed() throws Exception {
        GcsNotification n = GcsNotificationParser.parse(
                withAttributes(load("finalize-jpeg.json"), Map.of("replayId", "a;b")), 42L);

        assertThat(n).isInstanceOf(GcsNotification.Malformed.class);
    }
}
