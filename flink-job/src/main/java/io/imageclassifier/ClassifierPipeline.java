package io.imageclassifier;

import io.imageclassifier.classify.ClassifyFunction;
import io.imageclassifier.config.BackfillConfig;
import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.dedupe.DedupeFunction;
import io.imageclassifier.fetch.FetchFunction;
import io.imageclassifier.fetch.FetchResult;
import io.imageclassifier.model.canary.CanaryRollout;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.DeadLetterMetrics;
import io.imageclassifier.sink.DeadLetterOutput;
import io.imageclassifier.sink.bigquery.BigQueryOutput;
import io.imageclassifier.sink.console.ConsoleLine;
import io.imageclassifier.sink.json.JsonFileSinks;
import io.imageclassifier.source.backfill.BackfillFilterFunction;
import io.imageclassifier.source.backfill.BackfillSource;
import io.imageclassifier.source.local.LocalDirectorySource;
import io.imageclassifier.source.notification.NotificationFilterFunction;
import io.imageclassifier.source.pubsub.PubSubSource;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.PrintSink;

/**
 * Wires the job graph; holds no logic of its own. Every source produces {@link ObjectRef}s and
 * nothing else; from there on there is one path for all of them:
 *
 * <pre>
 * source (local dir | Pub/Sub notifications [+ backfill listing] | backfill listing) -> ObjectRef
 *     -> keyBy(bucket/name#version) -> dedupe -> fetch (local file | GCS, by the ref) -> classify
 *     -> predictions: JSON files, console, [BigQuery]
 *     -> dead letters (side output of every stage): counted by reason -> JSON files
 *     -> [canary comparisons (side output of classify): JSON files, and one judge for the job]
 * </pre>
 *
 * Dedupe, fetch and classify are chained in one task after the keyBy (classify is a plain
 * ProcessFunction on the forwarded fetch output, not shuffled), so image bytes never cross the network.
 */
public final class ClassifierPipeline {
    private ClassifierPipeline() {}

    /**
     * The graph up to fetched bytes.
     *
     * @param fetched     one result per new object version: its bytes, or a dead letter (not_found, ...)
     * @param deadLetters what the sources rejected before any fetch (malformed notifications, ...)
     */
    public record Ingest(DataStream<FetchResult> fetched, List<DataStream<DeadLetter>> deadLetters) {}

    /** What a source contributes: references, and dead letters of its own (possibly none). */
    private record Refs(DataStream<ObjectRef> refs, List<DataStream<DeadLetter>> deadLetters) {
        Refs union(Refs other) {
            List<DataStream<DeadLetter>> both = new ArrayList<>(deadLetters);
            both.addAll(other.deadLetters);
            return new Refs(refs.union(other.refs), both);
        }
    }

    /** Adds the whole job graph, sinks included, to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        Ingest ingest = ingest(env, config);
        // Not keyed (ClassifyFunction says why): a rescale hands fetch's in-flight refs out round-robin.
        SingleOutputStreamOperator<Prediction> predictions = ingest.fetched()
                .process(new ClassifyFunction(config.model(), config.gcs()))
                .name("classify").uid("classify");

        if (config.model().rollout().canary()) {
            CanaryRollout.attach(predictions.getSideOutput(CanaryRollout.TAG), config.output().canaryDir(),
                    config.model().rollout(), config.gcs());
        }
        DataStream<DeadLetter> deadLetters = predictions.getSideOutput(DeadLetterOutput.TAG);
        for (DataStream<DeadLetter> more : ingest.deadLetters()) {
            deadLetters = deadLetters.union(more);
        }
        attachSinks(config, predictions, deadLetters);
    }

    /** Source, keyBy, dedupe and fetch: the part of the graph every source shares up to classify. */
    public static Ingest ingest(StreamExecutionEnvironment env, JobConfig config) {
        Refs refs = switch (config.source()) {
            case LOCAL -> localRefs(env, config);
            case PUBSUB -> config.backfill() == null ? pubSubRefs(env, config)
                    : pubSubRefs(env, config).union(backfillRefs(env, config));
            case BACKFILL -> backfillRefs(env, config);
        };
        DataStream<ObjectRef> fresh = refs.refs()
                .keyBy(ObjectRef::key, Types.STRING)
                .process(new DedupeFunction(config.runtime().dedupeTtl()))
                .name("dedupe").uid("dedupe");
        // With retries: an object waiting for its next attempt stays in the operator's queue, which
        // is checkpointed (the queue's state is the same as without retries: the inputs in flight).
        DataStream<FetchResult> fetched = AsyncDataStream.unorderedWaitWithRetry(
                        fresh,
                        new FetchFunction(inputDir(config), config.gcs(), config.model().maxImageBytes()),
                        FetchFunction.operatorTimeout(config.gcs()).toMillis(),
                        TimeUnit.MILLISECONDS,
                        config.gcs().fetchCapacity(),
                        FetchFunction.retryStrategy(config.gcs()))
                .name("fetch")
                // The uid of the cloud path's async GCS fetch before local and cloud shared one
                // fetch: a savepoint holds that operator's in-flight references under it, and a new
                // uid would drop them on restore (or refuse the restore). Local mode's fetch was a
                // stateless map, so it has nothing to carry over.
                .uid("gcs-fetch");
        return new Ingest(fetched, refs.deadLetters());
    }

    private static Refs localRefs(StreamExecutionEnvironment env, JobConfig config) {
        File dir = new File(inputDir(config));
        if (!dir.isDirectory()) {
            throw new ConfigException("--input-dir " + config.local().inputDir() + " is not a directory");
        }
        DataStream<ObjectRef> refs = env
                .fromSource(LocalDirectorySource.create(config.local()), WatermarkStrategy.noWatermarks(),
                        "local-directory")
                // Not the uid of the FileSource this replaced: its state cannot be read as this one's,
                // so an old savepoint fails with "cannot map state" instead of being misread.
                .uid("local-directory-files");
        return new Refs(refs, List.of());
    }

    /** Pub/Sub messages -> notification filter: refs of new image versions; malformed messages as dead letters. */
    private static Refs pubSubRefs(StreamExecutionEnvironment env, JobConfig config) {
        SingleOutputStreamOperator<ObjectRef> refs = env
                .fromSource(PubSubSource.of(config.pubsub()), WatermarkStrategy.noWatermarks(),
                        "pubsub: " + config.pubsub().subscription())
                .uid("pubsub-source")
                .process(NotificationFilterFunction.of(config.pubsub()))
                .uid("notification-filter")
                .name("parse notifications");
        return new Refs(refs, List.of(refs.getSideOutput(NotificationFilterFunction.DEAD_LETTERS)));
    }

    /** The bucket's existing objects (bounded), judged by the notifications' filter. */
    private static Refs backfillRefs(StreamExecutionEnvironment env, JobConfig config) {
        BackfillConfig backfill = config.backfill();
        String uid = BackfillSource.uid(backfill);
        SingleOutputStreamOperator<ObjectRef> refs = env
                .fromSource(BackfillSource.of(backfill, config.gcs()), WatermarkStrategy.noWatermarks(),
                        "backfill: " + backfill.location())
                .uid(uid)
                .process(new BackfillFilterFunction(BackfillSource.filter(backfill)))
                .uid(uid.replace("-source-", "-filter-"))
                .name("filter backfill");
        return new Refs(refs, List.of(refs.getSideOutput(DeadLetterOutput.TAG)));
    }

    private static String inputDir(JobConfig config) {
        return new File(config.local().inputDir()).getAbsolutePath();
    }

    private static void attachSinks(JobConfig config, DataStream<Prediction> predictions,
            DataStream<DeadLetter> deadLetters) {
        predictions.sinkTo(JsonFileSinks.<Prediction>create(config.output().predictionsDir(), "predictions"))
                .name("predictions-json").uid("predictions-json");
        if (config.output().console()) {
            predictions.map(ConsoleLine::format).name("format-console")
                    .sinkTo(new PrintSink<>()).name("console").uid("console");
        }
        if (config.bigquery() != null) {
            BigQueryOutput.attach(predictions, config.bigquery(), config.output().deadLetterDir());
        }
        deadLetters.map(new DeadLetterMetrics()).name("count-dead-letters").uid("count-dead-letters")
                .sinkTo(JsonFileSinks.<DeadLetter>create(config.output().deadLetterDir(), "dead-letter"))
                .name("dead-letter-json").uid("dead-letter-json");
    }
}
