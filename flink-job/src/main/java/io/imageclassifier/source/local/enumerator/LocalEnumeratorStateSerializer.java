package io.imageclassifier.source.local.enumerator;

import io.imageclassifier.source.local.split.LocalFileSplitSerializer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Versioned serializer of {@link LocalEnumeratorState}. Version 1: known files, pending files (each
 * a list in {@link LocalFileSplitSerializer}'s file layout), listed boolean, next split id long.
 */
public final class LocalEnumeratorStateSerializer implements SimpleVersionedSerializer<LocalEnumeratorState> {

    public static final LocalEnumeratorStateSerializer INSTANCE = new LocalEnumeratorStateSerializer();
    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(LocalEnumeratorState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            LocalFileSplitSerializer.writeFiles(state.known(), out);
            LocalFileSplitSerializer.writeFiles(state.pending(), out);
            out.writeBoolean(state.listed());
            out.writeLong(state.nextSplitId());
        }
        return bytes.toByteArray();
    }

    @Override
    public LocalEnumeratorState deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown LocalEnumeratorState serializer version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            return new LocalEnumeratorState(LocalFileSplitSerializer.readFiles(in),
                    LocalFileSplitSerializer.readFiles(in), in.readBoolean(), in.readLong());
        }
    }
}
