package io.imageclassifier.source.local.split;

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
 * Versioned serializer of {@link LocalFileSplit}. Version 1: id UTF, emitted int, file count int,
 * then per file: name UTF, modified long, size long, discovered-at long.
 */
public final class LocalFileSplitSerializer implements SimpleVersionedSerializer<LocalFileSplit> {

    public static final LocalFileSplitSerializer INSTANCE = new LocalFileSplitSerializer();
    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(LocalFileSplit split) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(split.splitId());
            out.writeInt(split.emitted());
            writeFiles(split.files(), out);
        }
        return bytes.toByteArray();
    }

    @Override
    public LocalFileSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown LocalFileSplit serializer version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            String id = in.readUTF();
            int emitted = in.readInt();
            return new LocalFileSplit(id, readFiles(in), emitted);
        }
    }

    /** Writes a list of files in the version-1 layout (also used by the enumerator state). */
    public static void writeFiles(List<LocalFile> files, DataOutput out) throws IOException {
        out.writeInt(files.size());
        for (LocalFile f : files) {
            out.writeUTF(f.name());
            out.writeLong(f.modifiedMillis());
            out.writeLong(f.size());
            out.writeLong(f.discoveredAtMillis());
        }
    }

    /** Reads a list of files in the version-1 layout. */
    public static List<LocalFile> readFiles(DataInput in) throws IOException {
        int n = in.readInt();
        List<LocalFile> files = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            files.add(new LocalFile(in.readUTF(), in.readLong(), in.readLong(), in.readLong()));
        }
        return files;
    }
}
