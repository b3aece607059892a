package io.imageclassifier.source.backfill.enumerator;

import io.imageclassifier.source.backfill.split.BackfillSplitSerializer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Versioned serializer of {@link BackfillEnumeratorState}. Version 1: next page token (presence
 * boolean, UTF), listing-done boolean, pending objects (in {@link BackfillSplitSerializer}'s
 * layout), the five counts (pages, listed, skipped by name, skipped as too old, assigned; longs),
 * next split id long.
 */
public final class BackfillEnumeratorStateSerializer implements SimpleVersionedSerializer<BackfillEnumeratorState> {

    public static final BackfillEnumeratorStateSerializer INSTANCE = new BackfillEnumeratorStateSerializer();
    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(BackfillEnumeratorState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            BackfillSplitSerializer.writeNullable(state.nextPageToken(), out);
            out.writeBoolean(state.listingDone());
            BackfillSplitSerializer.writeRefs(state.pending(), out);
            ListingCounts c = state.counts();
            out.writeLong(c.pages());
            out.writeLong(c.listed());
            out.writeLong(c.skippedByName());
            out.writeLong(c.skippedCreatedBefore());
            out.writeLong(c.assigned());
            out.writeLong(state.nextSplitId());
        }
        return bytes.toByteArray();
    }

    @Override
    public BackfillEnumeratorState deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("Unknown BackfillEnumeratorState serializer version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            String token = BackfillSplitSerializer.readNullable(in);
            boolean done = in.readBoolean();
            var pending = BackfillSplitSerializer.readRefs(in);
            ListingCounts counts = new ListingCounts(in.readLong(), in.readLong(), in.readLong(), in.readLong(),
                    in.readLong());
            return new BackfillEnumeratorState(token, done, pending, counts, in.readLong());
        }
    }
}
