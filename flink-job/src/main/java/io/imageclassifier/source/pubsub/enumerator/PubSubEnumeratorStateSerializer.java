package io.imageclassifier.source.pubsub.enumerator;

import io.imageclassifier.source.pubsub.split.PubSubSplit;
import io.imageclassifier.source.pubsub.split.PubSubSplitSerializer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** Versioned serializer of {@link PubSubEnumeratorState}. Version 1: count, then (subtask int, split). */
public final class PubSubEnumeratorStateSerializer implements SimpleVersionedSerializer<PubSubEnumeratorState> {

    public static final PubSubEnumeratorStateSerializer INSTANCE = new PubSubEnumeratorStateSerializer();
    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(PubSubEnumeratorState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(state.assignments().size());
            for (Map.Entry<Integer, PubSubSplit> e : state.assignments().entrySet()) {
                out.writeInt(e.getKey());
                PubSubSplitSerializer.write(e.getValue(), out);
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public PubSubEnumeratorState deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown PubSubEnumeratorState serializer version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            int n = in.readInt();
            Map<Integer, PubSubSplit> assignments = new HashMap<>();
            for (int i = 0; i < n; i++) {
                int subtask = in.readInt();
                assignments.put(subtask, PubSubSplitSerializer.read(in));
            }
            return new PubSubEnumeratorState(assignments);
        }
    }
}
