package io.imageclassifier.source.notification;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.source.pubsub.PubSubMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Notification samples under {@code test/resources/notifications}: written from the documented
 * Cloud Storage format, and one captured from fake-gcs-server. {@code data} holds the object
 * resource as JSON (as it is once base64-decoded).
 */
final class NotificationSamples {
    private static final ObjectMapper JSON = new ObjectMapper();

    private NotificationSamples() {}

    static PubSubMessage load(String name) throws IOException {
        try (InputStream in = NotificationSamples.class.getResourceAsStream("/notifications/" + name)) {
            JsonNode root = JSON.readTree(in);
            Map<String, String> attributes = new HashMap<>();
            root.get("attributes").fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
            byte[] data = JSON.writeValueAsString(root.get("data")).getBytes(StandardCharsets.UTF_8);
            return new PubSubMessage(root.get("messageId").asText(), attributes, data, 0L);
        }
    }

    static PubSubMessage withAttributes(PubSubMessage m, Map<String, String> changes) {
        Map<String, String> attributes = new HashMap<>(m.attributes());
        changes.forEach((k, v) -> {
            if (v == null) {
                attributes.remove(k);
            } else {
                attributes.put(k, v);
            }
        });
        return new PubSubMessage(m.messageId(), attributes, m.data(), m.publishTimeMillis());
    }

    static PubSubMessage withData(PubSubMessage m, String data) {
        return new PubSubMessage(m.messageId(), m.attributes(), data.getBytes(StandardCharsets.UTF_8),
                m.publishTimeMillis());
    }
}
