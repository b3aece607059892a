package io.imageclassifier;

import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point (the jar's Main-Class). Run by a Flink cluster (operator, web UI, {@code flink run}),
 * it builds the graph on the cluster's environment; run as a plain Java program (local mode), it
 * starts an embedded Flink with its web UI on localhost:8081 (or the next free port up to 8090).
 */
public final class ImageClassifierJob {
    /** How long a partly filled network buffer waits before it is sent. */
    static final long BUFFER_TIMEOUT_MILLIS = 10;

    private static final Logger LOG = LoggerFactory.getLogger(ImageClassifierJob.class);

    private ImageClassifierJob() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment probe = StreamExecutionEnvironment.getExecutionEnvironment();
        boolean standalone = probe instanceof LocalStreamEnvironment;
        JobConfigParser.Parsed parsed;
        try {
            parsed = JobConfigParser.parse(args);
        } catch (ConfigException e) {
            if (!standalone) {
                throw e; // inside a cluster: fail the submission with the message, never exit the JVM
            }
            System.err.println("error: " + e.getMessage());
            System.err.println("Run with --help to list every flag.");
            System.exit(2);
            return;
        }
        if (parsed.isHelp()) {
            System.out.print(parsed.helpText());
            return;
        }
        JobConfig config = parsed.config();
        StreamExecutionEnvironment env = standalone ? embedded(config) : probe;
        configure(env, config);
        ClassifierPipeline.build(env, config);
        LOG.info("Starting image classifier: source={}, output={}, model={}", config.source(),
                config.output().outputDir(), config.model().model());
        env.execute("image-classifier");
    }

    /**
     * Checkpointing and parallelism, the same whichever environment runs the job (public for
     * harnesses that run the job graph on an environment of their own, such as the benchmark).
     */
    public static void configure(StreamExecutionEnvironment env, JobConfig config) {
        if (config.runtime().parallelism() > 0) {
            env.setParallelism(config.runtime().parallelism());
        }
        env.enableCheckpointing(config.runtime().checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        // Unaligned: barriers overtake the records queued between tasks. Those records are small
        // references, so thousands fit in the network buffers, and each costs milliseconds to
        // classify: an aligned barrier waited behind all of them, so under backpressure (a backlog,
        // a burst of uploads) a checkpoint, and with it every commit to the sinks, took as long
        // as classifying the whole queue. The queued references are cheap to store in the checkpoint.
        env.getCheckpointConfig().enableUnalignedCheckpoints();
        // Records between tasks are object references (~200 bytes) whose classification takes
        // milliseconds: waiting up to Flink's default 100 ms to fill a network buffer with them
        // only adds latency (it was most of a lone image's file-seen-to-prediction time).
        env.setBufferTimeout(BUFFER_TIMEOUT_MILLIS);
        // Chained operators pass records by reference instead of deep-copying each one (a fetched
        // image's bytes, a prediction to each of its sinks). Safe because every record type is an
        // immutable Java record and no function mutates an input or its byte[]; operators that keep
        // inputs (the async fetch's buffer, the BigQuery writer's batch) hold references to objects
        // nobody changes. A mutable record type would break this.
        env.getConfig().enableObjectReuse();
    }

    private static StreamExecutionEnvironment embedded(JobConfig config) {
        Configuration conf = new Configuration();
        int slots = Math.max(1, config.runtime().parallelism());
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
        conf.set(RestOptions.BIND_PORT, "8081-8090");
        try {
            Class.forName("org.apache.flink.runtime.webmonitor.WebRuntimeMonitor");
            return StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
        } catch (ClassNotFoundException e) {
            LOG.warn("flink-runtime-web is not on the classpath: running without the web UI");
            return StreamExecutionEnvironment.createLocalEnvironment(slots, conf);
        }
    }
}
