package io.imageclassifier.source.backfill;

import io.imageclassifier.config.BackfillConfig;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.backfill.enumerator.BackfillEnumerator;
import io.imageclassifier.source.backfill.enumerator.BackfillEnumeratorState;
import io.imageclassifier.source.backfill.enumerator.BackfillEnumeratorStateSerializer;
import io.imageclassifier.source.backfill.enumerator.BucketLister;
import io.imageclassifier.source.backfill.enumerator.GcsBucketLister;
import io.imageclassifier.source.backfill.enumerator.ListingFilter;
import io.imageclassifier.source.backfill.reader.BackfillSourceReader;
import io.imageclassifier.source.backfill.split.BackfillSplit;
import io.imageclassifier.source.backfill.split.BackfillSplitSerializer;
import io.imageclassifier.source.notification.ObjectFilter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimitedSourceReader;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The backfill source: the objects already in {@code gs://bucket/prefix}, as the same
 * {@link ObjectRef}s their notifications would give, so that an object both listed and notified has
 * one dedupe key and is classified once. Bounded: it finishes when the listing is done and every
 * listed object is emitted. Exactly-once: the enumerator checkpoints the next page token and the
 * objects it has not handed out, each reader how far it got in its splits; after a failure the
 * listing resumes at the checkpointed page.
 *
 * <p>With {@code --backfill-rate} the readers are throttled by Flink's {@link RateLimitedSourceReader}
 * (the rate is shared among the readers), and the listing, which stays about a page ahead of them,
 * follows.
 */
public final class BackfillSource
        implements Source<ObjectRef, BackfillSplit, BackfillEnumeratorState>, ResultTypeQueryable<ObjectRef> {

    private static final long serialVersionUID = 1L;

    private final BucketLister.Factory listers;
    private final ListingFilter filter;
    private final String location;
    private final int pageSize;
    private final double maxObjectsPerSecond;
    private final long progressIntervalMillis;

    public BackfillSource(BucketLister.Factory listers, ListingFilter filter, String location, int pageSize,
            double maxObjectsPerSecond, long progressIntervalMillis) {
        this.listers = listers;
        this.filter = filter;
        this.location = location;
        this.pageSize = pageSize;
        this.maxObjectsPerSecond = maxObjectsPerSecond;
        this.progressIntervalMillis = progressIntervalMillis;
    }

    /** The job's source for these settings. */
    public static BackfillSource of(BackfillConfig config, GcsConfig gcs) {
        return new BackfillSource(
                GcsBucketLister.factory(gcs, config.bucket(), config.listPrefix(), config.pageSize()),
                new ListingFilter(filter(config), config.createdAfter()),
                config.location(), config.pageSize(), config.maxObjectsPerSecond(),
                config.progressInterval().toMillis());
    }

    /** The notifications' name and content-type filter, with the backfill's values. */
    public static ObjectFilter filter(BackfillConfig config) {
        return new ObjectFilter(config.contentTypePrefix(), config.namePrefix(), config.nameSuffix());
    }

    /**
     * The source operator's uid: one per bucket and list prefix. A restart from a savepoint with the
     * same {@code --backfill} resumes that backfill (or keeps it finished); another location is a new
     * backfill, whose state does not mix with the old one's.
     */
    public static String uid(BackfillConfig config) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("gs://" + config.bucket() + "/" + config.listPrefix()).getBytes(StandardCharsets.UTF_8));
            return "backfill-source-" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SplitEnumerator<BackfillSplit, BackfillEnumeratorState> createEnumerator(
            SplitEnumeratorContext<BackfillSplit> context) {
        return restoreEnumerator(context, BackfillEnumeratorState.initial());
    }

    @Override
    public SplitEnumerator<BackfillSplit, BackfillEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<BackfillSplit> context, BackfillEnumeratorState state) {
        return new BackfillEnumerator(context, listers, filter, location, pageSize, progressIntervalMillis, state);
    }

    @Override
    public SimpleVersionedSerializer<BackfillSplit> getSplitSerializer() {
        return BackfillSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<BackfillEnumeratorState> getEnumeratorCheckpointSerializer() {
        return BackfillEnumeratorStateSerializer.INSTANCE;
    }

    @Override
    public SourceReader<ObjectRef, BackfillSplit> createReader(SourceReaderContext context) {
        BackfillSourceReader reader = new BackfillSourceReader(context);
        if (maxObjectsPerSecond <= 0) {
            return reader;
        }
        RateLimiterStrategy<BackfillSplit> rate = RateLimiterStrategy.perSecond(maxObjectsPerSecond);
        return new RateLimitedSourceReader<>(reader, rate.createRateLimiter(context.currentParallelism()));
    }

    @Override
    public TypeInformation<ObjectRef> getProducedType() {
        return TypeInformation.of(ObjectRef.class);
    }
}
