package io.imageclassifier.source.pubsub.split;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** Versioned serializer of {@link PubSubSplit}. Version 1: subscription UTF, id UTF. */
public final class PubSubSplitSerializer implements SimpleVersionedSerializer<PubSubSplit> {

    public static final PubSubSplitSerializer INSTANCE = new PubSubSplitSerializer();
    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(PubSubSplit split) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(split, out);
        }
        return bytes.toByteArray();
    }

    @Override
    public PubSubSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown PubSubSplit serializer version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            return read(in);
        }
    }

    /** Writes one split in the version-1 layout (also used inside the enumerator state). */
    public static void write(PubSubSplit split, DataOutputStream out) throws IOException {
        out.writeUTF(split.subscription());
        out.writeUTF(split.splitId());
    }

    /** Reads one split in the version-1 layout. */
    public static PubSubSplit read(DataInputStream in) throws IOException {
        return new PubSubSplit(in.readUTF(), in.readUTF());
    }
}
