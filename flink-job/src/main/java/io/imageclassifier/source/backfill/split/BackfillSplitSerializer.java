package io.imageclassifier.source.backfill.split;

import io.imageclassifier.record.ObjectRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Versioned serializer of {@link BackfillSplit}. Version 1: id UTF, emitted int, object count int,
 * then per object: source, bucket, name, version (UTF), size long, contentType, timeCreated,
 * updated, messageId (each a presence boolean, then UTF when present), seenAtMillis long.
 */
public final class BackfillSplitSerializer implements SimpleVersionedSerializer<BackfillSplit> {

    public static final BackfillSplitSerializer INSTANCE = new BackfillSplitSerializer();
    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(BackfillSplit split) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(split.splitId());
            out.writeInt(split.emitted());
            writeRefs(split.objects(), out);
        }
        return bytes.toByteArray();
    }

    @Override
    public BackfillSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown BackfillSplit serializer version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            String id = in.readUTF();
            int emitted = in.readInt();
            return new BackfillSplit(id, readRefs(in), emitted);
        }
    }

    /** Writes references in the version-1 layout (also used by the enumerator state). */
    public static void writeRefs(List<ObjectRef> refs, DataOutput out) throws IOException {
        out.writeInt(refs.size());
        for (ObjectRef r : refs) {
            out.writeUTF(r.source());
            out.writeUTF(r.bucket());
            out.writeUTF(r.name());
            out.writeUTF(r.version());
            out.writeLong(r.size());
            writeNullable(r.contentType(), out);
            writeNullable(r.timeCreated(), out);
            writeNullable(r.updated(), out);
            writeNullable(r.messageId(), out);
            out.writeLong(r.seenAtMillis());
        }
    }

    /** Reads references in the version-1 layout. */
    public static List<ObjectRef> readRefs(DataInput in) throws IOException {
        int n = in.readInt();
        List<ObjectRef> refs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            refs.add(new ObjectRef(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), in.readLong(),
                    readNullable(in), readNullable(in), readNullable(in), readNullable(in), in.readLong()));
        }
        return refs;
    }

    /** A presence boolean, then the string when present. */
    public static void writeNullable(String s, DataOutput out) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    public static String readNullable(DataInput in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
