package io.imageclassifier.config;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;

/** Turns command-line flags and environment variables into one validated {@link JobConfig}. */
public final class JobConfigParser {

    /** Default location of the shared model/labels mirror, relative to the working directory. */
    static final String DEFAULT_SHARED_DIR = "../shared";

    static final String DEFAULT_MODEL = "models/mobilenetv2-12-int8.onnx";
    static final String DEFAULT_LABELS = "labels/imagenet_classes.txt";

    private JobConfigParser() {}

    /** Result of parsing: a config, or the text to print for --help / --version. */
    public record Parsed(JobConfig config, String helpText) {
        public boolean isHelp() {
            return helpText != null;
        }
    }

    /** Parses with the process environment. */
    public static Parsed parse(String[] args) {
        return parse(args, System.getenv());
    }

    /**
     * Parses flags, falling back to environment variables ({@code SHARED_DIR},
     * {@code PUBSUB_EMULATOR_HOST}, {@code STORAGE_EMULATOR_HOST}) where a flag is absent.
     *
     * @throws ConfigException naming the flag when something is missing or invalid
     */
    public static Parsed parse(String[] args, Map<String, String> env) {
        JobOptions o = new JobOptions();
        CommandLine cli = new CommandLine(o);
        try {
            cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new ConfigException(e.getMessage() + " (see --help)");
        }
        if (cli.isUsageHelpRequested()) {
            return new Parsed(null, usage());
        }
        if (cli.isVersionHelpRequested()) {
            return new Parsed(null, "image-classifier");
        }
        return new Parsed(toConfig(o, env), null);
    }

    /** The --help text. */
    public static String usage() {
        StringWriter out = new StringWriter();
        new CommandLine(new JobOptions()).usage(new PrintWriter(out));
        return out.toString();
    }

    private static JobConfig toConfig(JobOptions o, Map<String, String> env) {
        String sharedDir = env.getOrDefault("SHARED_DIR", DEFAULT_SHARED_DIR);

        SourceKind source = o.subscription != null ? SourceKind.PUBSUB : SourceKind.LOCAL;
        LocalSourceConfig local = new LocalSourceConfig(o.inputDir, o.once, duration("--monitor-interval", o.monitorInterval));
        PubSubConfig pubsub = null;
        if (source == SourceKind.PUBSUB) {
            ConfigException.require(!o.once, "--once", "only applies to local mode (--input-dir)");
            pubsub = new PubSubConfig(
                    o.projectId,
                    PubSubConfig.fullSubscription(o.projectId, o.subscription),
                    firstNonBlank(o.pubsubEndpoint, env.get("PUBSUB_EMULATOR_HOST")),
                    o.maxOutstandingMessages,
                    bytes("--max-outstanding-bytes", o.maxOutstandingBytes),
                    o.contentTypePrefix,
                    o.namePrefix,
                    o.nameSuffix,
                    duration("--max-ack-extension", o.maxAckExtension),
                    firstNonBlank(o.monitoringEndpoint, null),
                    duration("--backlog-poll-interval", o.backlogPollInterval));
        }
        GcsConfig gcs = new GcsConfig(
                firstNonBlank(o.gcsEndpoint, storageEmulatorUrl(env.get("STORAGE_EMULATOR_HOST"))),
                o.projectId,
                o.fetchCapacity,
                duration("--fetch-timeout", o.fetchTimeout),
                o.fetchRetries,
                duration("--fetch-initial-backoff", o.fetchInitialBackoff));

        String defaultModel = Path.of(sharedDir, DEFAULT_MODEL).toString();
        String model = o.model != null ? o.model : defaultModel;
        String labels = o.labels;
        if (labels == null && model.equals(defaultModel)) {
            labels = Path.of(sharedDir, DEFAULT_LABELS).toString();
        }
        ModelRolloutSettings rollout = rollout(o);
        if (rollout.watched()) {
            ConfigException.require(o.model == null && o.labels == null, "--model-repository",
                    "replaces --model and --labels (each version folder holds its model and labels)");
            model = rollout.repository();
            labels = null;
        }
        ModelSettings modelSettings = new ModelSettings(
                model,
                labels,
                o.topK,
                o.confidenceThreshold,
                o.intraOpThreads,
                o.executionProvider,
                bytes("--max-image-bytes", o.maxImageBytes),
                o.maxImagePixels,
                rollout);

        OutputConfig output = new OutputConfig(o.outputDir, o.console);
        BigQueryConfig bigquery = o.outputBqTable == null ? null : BigQueryConfig.parseTable(
                o.outputBqTable, BigQueryDelivery.parse(o.bqDelivery), o.bigqueryEndpoint, o.bigqueryWriteEndpoint);

        int parallelism = o.parallelism != null ? o.parallelism : Runtime.getRuntime().availableProcessors();
        RuntimeConfig runtime = new RuntimeConfig(
                parallelism,
                duration("--checkpoint-interval", o.checkpointInterval),
                duration("--dedupe-ttl", o.dedupeTtl));

        return new JobConfig(source, local, pubsub, gcs, modelSettings, output, bigquery, runtime);
    }

    private static ModelRolloutSettings rollout(JobOptions o) {
        return new ModelRolloutSettings(o.modelRepository, duration("--model-poll-interval", o.modelPollInterval),
                o.canaryFraction, o.canaryImages, o.canaryMinAgreement, o.canaryAutoPromote);
    }

    private static Duration duration(String flag, String value) {
        try {
            return TimeUtils.parseDuration(value);
        } catch (RuntimeException e) {
            throw new ConfigException(flag + " is not a duration (e.g. 500ms, 10s, 7d): " + value);
        }
    }

    private static long bytes(String flag, String value) {
        try {
            return MemorySize.parse(value).getBytes();
        } catch (RuntimeException e) {
            throw new ConfigException(flag + " is not a size (e.g. 40mb): " + value);
        }
    }

    /** STORAGE_EMULATOR_HOST is conventionally host:port or a URL; the client wants a URL. */
    private static String storageEmulatorUrl(String host) {
        if (host == null || host.isBlank()) {
            return null;
        }
        return host.startsWith("http://") || host.startsWith("https://") ? host : "http://" + host;
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : (b != null && !b.isBlank() ? b : null);
    }
}
