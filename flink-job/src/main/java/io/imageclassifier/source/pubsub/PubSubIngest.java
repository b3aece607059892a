package io.imageclassifier.source.pubsub;

import io.imageclassifier.config.JobConfig;
import io.imageclassifier.dedupe.DedupeFunction;
import io.imageclassifier.fetch.FetchResult;
import io.imageclassifier.fetch.GcsFetchFunction;
import io.imageclassifier.fetch.StorageClientFactory;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.notification.NotificationFilterFunction;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The cloud half of the graph, up to fetched bytes: Pub/Sub source, notification filter,
 * {@code keyBy(ObjectRef::key)}, dedupe, async GCS fetch. Its {@link FetchResult}s have the same
 * shape as local mode's, so classify and the sinks are shared.
 */
public final class PubSubIngest {

    private PubSubIngest() {}

    /**
     * @param fetched     one result per new object version: bytes, or a dead letter (not_found, ...)
     * @param deadLetters malformed notifications and unsupported content types
     */
    public record Streams(DataStream<FetchResult> fetched, DataStream<DeadLetter> deadLetters) {}

    /** Adds the cloud stages for {@code config} (which must have a Pub/Sub source) to {@code env}. */
    public static Streams build(StreamExecutionEnvironment env, JobConfig config) {
        return build(env, config, PubSubSource.of(config.pubsub()));
    }

    /** As {@link #build(StreamExecutionEnvironment, JobConfig)}, with the given source. */
    public static Streams build(StreamExecutionEnvironment env, JobConfig config, PubSubSource source) {
        SingleOutputStreamOperator<ObjectRef> refs = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "pubsub: " + config.pubsub().subscription())
                .uid("pubsub-source")
                .process(NotificationFilterFunction.of(config.pubsub()))
                .uid("notification-filter")
                .name("parse notifications");
        DataStream<ObjectRef> fresh = refs
                .keyBy(ObjectRef::key)
                .process(new DedupeFunction(config.runtime().dedupeTtl()))
                .uid("dedupe")
                .name("dedupe");
        DataStream<FetchResult> fetched = AsyncDataStream.unorderedWait(
                        fresh,
                        new GcsFetchFunction(StorageClientFactory.of(config.gcs()), config.gcs(),
                                config.model().maxImageBytes()),
                        GcsFetchFunction.operatorTimeout(config.gcs()).toMillis(),
                        TimeUnit.MILLISECONDS,
                        config.gcs().fetchCapacity())
                .uid("gcs-fetch")
                .name("fetch from GCS");
        return new Streams(fetched, refs.getSideOutput(NotificationFilterFunction.DEAD_LETTERS));
    }
}
