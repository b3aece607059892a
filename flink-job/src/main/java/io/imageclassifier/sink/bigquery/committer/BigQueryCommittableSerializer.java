package io.imageclassifier.sink.bigquery.committer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** Versioned serializer of {@link BigQueryCommittable}; version 1 is {@code tablePath, streamName, rowCount}. */
public final class BigQueryCommittableSerializer implements SimpleVersionedSerializer<BigQueryCommittable> {

    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(BigQueryCommittable c) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(c.tablePath());
            out.writeUTF(c.streamName());
            out.writeLong(c.rowCount());
        }
        return bytes.toByteArray();
    }

    @Override
    public BigQueryCommittable deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("unknown BigQueryCommittable version " + version + " (this build reads "
                    + VERSION + ")");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            return new BigQueryCommittable(in.readUTF(), in.readUTF(), in.readLong());
        }
    }
}
