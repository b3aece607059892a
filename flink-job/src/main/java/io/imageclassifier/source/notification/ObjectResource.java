package io.imageclassifier.source.notification;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.record.ObjectRef;

/**
 * The Cloud Storage JSON API's object resource as an {@link ObjectRef}: what a {@code JSON_API_V1}
 * notification carries as its data, and what a bucket listing returns per item. Both paths read it
 * here, so an object listed and also notified becomes the same reference (and one dedupe key),
 * field for field: the strings are kept as the API wrote them (e.g. microsecond timestamps).
 */
public final class ObjectResource {

    private ObjectResource() {}

    /**
     * The reference to the object version {@code bucket/name#generation} that {@code resource}
     * describes; size, content type and times come from the resource.
     *
     * @throws NumberFormatException when the resource's {@code size} is not a number
     */
    public static ObjectRef toRef(JsonNode resource, String bucket, String name, String generation,
            String messageId, long seenAtMillis) {
        long size = resource.hasNonNull("size") ? Long.parseLong(resource.get("size").asText()) : -1;
        return new ObjectRef(ObjectRef.SOURCE_GCS, bucket, name, generation, size, text(resource, "contentType"),
                text(resource, "timeCreated"), text(resource, "updated"), messageId, seenAtMillis);
    }

    /** A field as text, or null when absent or null. */
    public static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
