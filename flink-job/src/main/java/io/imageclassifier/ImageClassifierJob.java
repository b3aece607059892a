package io.imageclassifier;

import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.config.RuntimeConfig;
import io.imageclassifier.preflight.Preflight;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point (the jar's Main-Class). Run by a Flink cluster (operator, web UI, {@code flink run}),
 * it builds the graph on the cluster's environment and leaves Flink's settings to the cluster's
 * configuration, except those the user gave as flags. Run as a plain Java program (the embedded
 * local mode), it is the cluster: it starts an embedded Flink with its web UI ({@link EmbeddedFlink})
 * and its own defaults. Either way, what can be checked before the job starts is checked first
 * ({@link Preflight}), so a mistake fails the submission with a message, not every task in a loop.
 */
public final class ImageClassifierJob {
    /** Embedded local mode: checkpoint interval when no flag gives one. */
    static final Duration EMBEDDED_CHECKPOINT_INTERVAL = Duration.ofSeconds(5);
    /** Embedded local mode: how long a partly filled network buffer waits before it is sent. */
    static final long BUFFER_TIMEOUT_MILLIS = 10;

    private static final Logger LOG = LoggerFactory.getLogger(ImageClassifierJob.class);

    private ImageClassifierJob() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment probe = StreamExecutionEnvironment.getExecutionEnvironment();
        boolean embedded = probe instanceof LocalStreamEnvironment;
        StreamExecutionEnvironment env;
        JobConfig config;
        try {
            JobConfigParser.Parsed parsed = JobConfigParser.parse(args);
            if (parsed.isHelp()) {
                System.out.print(parsed.helpText());
                return;
            }
            config = parsed.config();
            if (embedded) {
                env = EmbeddedFlink.environment(config);
                configure(env, config);
            } else {
                env = probe;
                configureForCluster(env, config);
            }
            Preflight.check(env, config);
        } catch (ConfigException e) {
            if (!embedded) {
                throw e; // inside a cluster: fail the submission with the message, never exit the JVM
            }
            System.err.println("error: " + e.getMessage());
            System.err.println("Run with --help to list every flag.");
            System.exit(2);
            return;
        }
        ClassifierPipeline.build(env, config);
        LOG.info("Starting image classifier: source={}, output={}, model={}", config.source(),
                config.output().outputDir(), config.model().model());
        env.execute("image-classifier");
    }

    /**
     * Settings for an environment whose cluster the caller owns, as the embedded local mode does
     * (public for harnesses that run the job graph on an environment of their own: the benchmark,
     * integration tests): the flags, and where a flag is absent the embedded defaults.
     */
    public static void configure(StreamExecutionEnvironment env, JobConfig config) {
        RuntimeConfig runtime = config.runtime();
        env.setParallelism(embeddedParallelism(config));
        env.enableCheckpointing(orElse(runtime.checkpointInterval(), EMBEDDED_CHECKPOINT_INTERVAL).toMillis(),
                CheckpointingMode.EXACTLY_ONCE);
        // Unaligned: barriers overtake the records queued between tasks. Those records are small
        // references, so thousands fit in the network buffers, and each costs milliseconds to
        // classify: an aligned barrier waited behind all of them, so under backpressure (a backlog,
        // a burst of uploads) a checkpoint, and with it every commit to the sinks, took as long
        // as classifying the whole queue. The queued references are cheap to store in the checkpoint.
        env.getCheckpointConfig().enableUnalignedCheckpoints(orElse(runtime.unalignedCheckpoints(), true));
        // Records between tasks are object references (~200 bytes) whose classification takes
        // milliseconds: waiting up to Flink's default 100 ms to fill a network buffer with them
        // only adds latency (it was most of a lone image's file-seen-to-prediction time).
        env.setBufferTimeout(runtime.bufferTimeout() != null ? runtime.bufferTimeout().toMillis() : BUFFER_TIMEOUT_MILLIS);
        checkpointDir(env, runtime);
        objectReuse(env);
    }

    /**
     * Settings for a cluster's environment: only what the user gave as flags. The checkpoint
     * interval, alignment, buffer timeout, checkpoint directory and parallelism otherwise come from
     * the cluster's configuration ({@code config.yaml}, the FlinkDeployment's
     * {@code flinkConfiguration}, the web UI's parallelism field), which the job must not override
     * silently. Whether what results suits the job is checked by {@link Preflight}.
     */
    public static void configureForCluster(StreamExecutionEnvironment env, JobConfig config) {
        RuntimeConfig runtime = config.runtime();
        if (runtime.parallelism() > 0) {
            env.setParallelism(runtime.parallelism());
        }
        if (runtime.checkpointInterval() != null) {
            env.enableCheckpointing(runtime.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        }
        if (runtime.unalignedCheckpoints() != null) {
            env.getCheckpointConfig().enableUnalignedCheckpoints(runtime.unalignedCheckpoints());
        }
        if (runtime.bufferTimeout() != null) {
            env.setBufferTimeout(runtime.bufferTimeout().toMillis());
        }
        checkpointDir(env, runtime);
        objectReuse(env);
    }

    /** The embedded local mode's parallelism: the flag's, else the number of cores. */
    static int embeddedParallelism(JobConfig config) {
        int p = config.runtime().parallelism();
        return p > 0 ? p : Runtime.getRuntime().availableProcessors();
    }

    private static void checkpointDir(StreamExecutionEnvironment env, RuntimeConfig runtime) {
        if (runtime.checkpointDir() != null) {
            Configuration conf = new Configuration();
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, runtime.checkpointDir());
            env.configure(conf);
        }
    }

    private static void objectReuse(StreamExecutionEnvironment env) {
        // A property of this job's code, not a cluster setting: chained operators pass records by
        // reference instead of deep-copying each one (a fetched image's bytes, a prediction to each
        // of its sinks). Safe because every record type is an immutable Java record and no function
        // mutates an input or its byte[]; operators that keep inputs (the async fetch's buffer, the
        // BigQuery writer's batch) hold references to objects nobody changes. A mutable record type
        // would break this.
        env.getConfig().enableObjectReuse();
    }

    private static <T> T orElse(T value, T otherwise) {
        return value != null ? value : otherwise;
    }
}
