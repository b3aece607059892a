package io.imageclassifier.source.pubsub;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * One Pub/Sub message as the source hands it downstream: an immutable copy of what parsing needs,
 * without the client's protobuf types (no Kryo, no protobuf on the wire between operators).
 *
 * @param messageId         server-assigned message id
 * @param attributes        message attributes (never null)
 * @param data              payload bytes (never null)
 * @param publishTimeMillis publish time, epoch millis
 */
public record PubSubMessage(String messageId, Map<String, String> attributes, byte[] data, long publishTimeMillis) {

    public PubSubMessage {
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        data = data == null ? new byte[0] : data;
    }

    /** Flink type information: a POJO with typed fields, so the map and bytes use Flink's own serializers. */
    public static TypeInformation<PubSubMessage> typeInfo() {
        return Types.POJO(PubSubMessage.class, Map.of(
                "messageId", Types.STRING,
                "attributes", Types.MAP(Types.STRING, Types.STRING),
                "data", Types.PRIMITIVE_ARRAY(Types.BYTE),
                "publishTimeMillis", Types.LONG));
    }
}
