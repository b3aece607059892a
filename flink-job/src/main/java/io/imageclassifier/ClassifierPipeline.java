package io.imageclassifier;

import io.imageclassifier.classify.ClassifyFunction;
import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.dedupe.DedupeFunction;
import io.imageclassifier.fetch.FetchResult;
import io.imageclassifier.fetch.LocalFileFetcher;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.DeadLetterMetrics;
import io.imageclassifier.sink.DeadLetterOutput;
import io.imageclassifier.sink.bigquery.BigQueryOutput;
import io.imageclassifier.sink.console.ConsoleLine;
import io.imageclassifier.sink.json.JsonFileSinks;
import io.imageclassifier.source.local.LocalDirectorySource;
import io.imageclassifier.source.pubsub.PubSubIngest;
import java.io.File;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.PrintSink;

/**
 * Wires the job graph; holds no logic of its own.
 *
 * <pre>
 * source (local dir | Pub/Sub) -> keyBy(bucket/name#version) -> dedupe -> fetch -> classify
 *     -> predictions: JSON files, console, [BigQuery]
 *     -> dead letters (side output of every stage): counted by reason -> JSON files
 * </pre>
 *
 * Dedupe, fetch and classify are chained in one keyed partition (the fetched stream is
 * re-interpreted as keyed, not shuffled), so image bytes never cross the network.
 */
public final class ClassifierPipeline {
    private ClassifierPipeline() {}

    /** Adds the whole job graph, sinks included, to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        DataStream<FetchResult> fetched;
        DataStream<DeadLetter> sourceDeadLetters = null;
        switch (config.source()) {
            case LOCAL -> {
                SingleOutputStreamOperator<ObjectRef> fresh = localSource(env, config)
                        .keyBy(ObjectRef::key, Types.STRING)
                        .process(new DedupeFunction(config.runtime().dedupeTtl()))
                        .name("dedupe").uid("dedupe");
                fetched = fresh
                        .map(new LocalFileFetcher(inputDir(config), config.model().maxImageBytes()))
                        .name("read-file").uid("read-file");
            }
            case PUBSUB -> {
                // Pub/Sub source -> notification filter -> keyBy -> dedupe -> async GCS fetch.
                PubSubIngest.Streams cloud = PubSubIngest.build(env, config);
                fetched = cloud.fetched();
                sourceDeadLetters = cloud.deadLetters();
            }
            default -> throw new ConfigException("unknown source " + config.source());
        }

        SingleOutputStreamOperator<Prediction> predictions = DataStreamUtils
                .reinterpretAsKeyedStream(fetched, r -> r.ref().key(), Types.STRING)
                .process(new ClassifyFunction(config.model(), config.gcs()))
                .name("classify").uid("classify");

        DataStream<DeadLetter> deadLetters = predictions.getSideOutput(DeadLetterOutput.TAG);
        if (sourceDeadLetters != null) {
            deadLetters = deadLetters.union(sourceDeadLetters);
        }

        attachSinks(config, predictions, deadLetters);
    }

    private static DataStream<ObjectRef> localSource(StreamExecutionEnvironment env, JobConfig config) {
        File dir = new File(inputDir(config));
        if (!dir.isDirectory()) {
            throw new ConfigException("--input-dir " + config.local().inputDir() + " is not a directory");
        }
        return env.fromSource(LocalDirectorySource.create(config.local()), WatermarkStrategy.noWatermarks(),
                        "local-directory")
                // Not the uid of the FileSource this replaced: its state cannot be read as this one's,
                // so an old savepoint fails with "cannot map state" instead of being misread.
                .uid("local-directory-files");
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
