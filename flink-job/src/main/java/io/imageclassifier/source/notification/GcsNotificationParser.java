package io.imageclassifier.source.notification;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.pubsub.PubSubMessage;
import java.util.Map;

/**
 * Reads Cloud Storage Pub/Sub notifications, payload format {@code JSON_API_V1}: attributes
 * {@code eventType}, {@code bucketId}, {@code objectId}, {@code objectGeneration},
 * {@code payloadFormat}; data = the object resource as JSON (its {@code size} is a decimal string).
 * The attributes are authoritative for identity; the resource must agree with them and supplies
 * size, content type and times. A {@value #REPLAY_ID} attribute marks a replay of a dead letter.
 */
public final class GcsNotificationParser {

    public static final String OBJECT_FINALIZE = "OBJECT_FINALIZE";
    static final String JSON_API_V1 = "JSON_API_V1";
    /**
     * Not set by Cloud Storage: the attribute with which {@code scripts/replay-dead-letters.sh}
     * marks a replayed dead letter (see {@link ObjectRef#replay}).
     */
    public static final String REPLAY_ID = "replayId";

    private static final ObjectMapper JSON = new ObjectMapper();

    private GcsNotificationParser() {}

    /** Classifies one message; never throws. */
    public static GcsNotification parse(PubSubMessage message, long seenAtMillis) {
        Map<String, String> a = message.attributes();
        String id = message.messageId();
        String bucket = a.get("bucketId");
        String name = a.get("objectId");
        String generation = a.get("objectGeneration");
        String eventType = a.get("eventType");
        String format = a.get("payloadFormat");

        if (blank(eventType)) {
            return new GcsNotification.Malformed(id, bucket, name, generation, "no eventType attribute");
        }
        if (!OBJECT_FINALIZE.equals(eventType)) {
            return new GcsNotification.OtherEvent(eventType);
        }
        if (!JSON_API_V1.equals(format)) {
            return new GcsNotification.Malformed(id, bucket, name, generation,
                    "payloadFormat must be JSON_API_V1, was " + format);
        }
        if (blank(bucket) || blank(name) || blank(generation)) {
            return new GcsNotification.Malformed(id, bucket, name, generation,
                    "missing attribute bucketId, objectId or objectGeneration");
        }
        if (!generation.chars().allMatch(Character::isDigit)) {
            return new GcsNotification.Malformed(id, bucket, name, generation, "objectGeneration is not a number");
        }
        JsonNode resource;
        try {
            resource = JSON.readTree(message.data());
        } catch (JsonProcessingException e) {
            return new GcsNotification.Malformed(id, bucket, name, generation, "data is not JSON: " + firstLine(e));
        } catch (java.io.IOException e) {
            return new GcsNotification.Malformed(id, bucket, name, generation, "data is not readable: " + e);
        }
        if (resource == null || !resource.isObject()) {
            return new GcsNotification.Malformed(id, bucket, name, generation, "data is not a JSON object");
        }
        String mismatch = mismatch(resource, "bucket", bucket) + mismatch(resource, "name", name)
                + mismatch(resource, "generation", generation);
        if (!mismatch.isEmpty()) {
            return new GcsNotification.Malformed(id, bucket, name, generation,
                    "object resource disagrees with attributes:" + mismatch);
        }
        String replayId = a.get(REPLAY_ID);
        if (replayId != null && !replayId.matches("[A-Za-z0-9_-]{1,64}")) {
            return new GcsNotification.Malformed(id, bucket, name, generation,
                    REPLAY_ID + " must be 1-64 letters, digits, '-' or '_'");
        }
        ObjectRef ref;
        try {
            ref = ObjectResource.toRef(resource, bucket, name, generation, id, seenAtMillis);
        } catch (NumberFormatException e) {
            return new GcsNotification.Malformed(id, bucket, name, generation, "size is not a number");
        }
        return new GcsNotification.Finalized(replayId == null ? ref : ref.replay(replayId));
    }

    private static String mismatch(JsonNode resource, String field, String expected) {
        JsonNode value = resource.get(field);
        if (value == null || value.isNull() || value.asText().equals(expected)) {
            return "";
        }
        return " " + field + "=" + value.asText() + " (attribute " + expected + ")";
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
