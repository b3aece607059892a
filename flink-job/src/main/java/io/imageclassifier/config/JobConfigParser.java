package io.imageclassifier.config;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import picocli.CommandLine;

/** Turns command-line flags and environment variables into one validated {@link JobConfig}. */
public final class JobConfigParser {

    /** Default location of the shared model/labels mirror, relative to the working directory. */
    static final String DEFAULT_SHARED_DIR = "../shared";

    static final String DEFAULT_MODEL = "models/mobilenetv2-12-int8.onnx";
    static final String DEFAULT_LABELS = "labels/imagenet_classes.txt";

    // Sensible floors. Checkpoints commit files, acks and BigQuery streams: far below a second they
    // cost more than they commit. A fetch shorter than a second times out on any real download. A
    // dedupe memory shorter than Pub/Sub's longest ack deadline (10 min) lets redeliveries through.
    static final String MIN_CHECKPOINT_INTERVAL = "100ms";
    static final String MIN_FETCH_TIMEOUT = "1s";
    static final String MIN_DEDUPE_TTL = "10min";
    static final String MIN_MONITOR_INTERVAL = "50ms";
    static final String MIN_ACK_EXTENSION = "10s";
    static final String MIN_MODEL_POLL_INTERVAL = "100ms";
    /** An image is read into one byte array. */
    static final String MAX_IMAGE_BYTES = "1gb";

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
        return new Parsed(toConfig(o, env, cli.getParseResult().hasMatchedOption("--input-dir")), null);
    }

    /** The --help text. */
    public static String usage() {
        StringWriter out = new StringWriter();
        new CommandLine(new JobOptions()).usage(new PrintWriter(out));
        return out.toString();
    }

    private static JobConfig toConfig(JobOptions o, Map<String, String> env, boolean inputDirGiven) {
        String sharedDir = env.getOrDefault("SHARED_DIR", DEFAULT_SHARED_DIR);

        SourceKind source = o.subscription != null ? SourceKind.PUBSUB : SourceKind.LOCAL;
        LocalSourceConfig local = new LocalSourceConfig(o.inputDir, o.once,
                Units.duration("--monitor-interval", o.monitorInterval, MIN_MONITOR_INTERVAL));
        BackfillConfig backfill = null;
        if (o.backfill != null && BackfillConfig.isGcs(o.backfill)) {
            backfill = backfill(o);
            if (source == SourceKind.LOCAL) {
                ConfigException.require(!o.once && !inputDirGiven, "--backfill",
                        "gs://... classifies a bucket; --input-dir and --once are for local mode");
                source = SourceKind.BACKFILL;
            }
        } else if (o.backfill != null) {
            // Local mode lists its directory anyway: a backfill of one is a bounded run over it.
            ConfigException.require(source == SourceKind.LOCAL, "--backfill",
                    "with --subscription must be gs://BUCKET[/PREFIX], was " + o.backfill);
            ConfigException.require(!inputDirGiven, "--backfill", "DIR replaces --input-dir: give one of them");
            local = new LocalSourceConfig(o.backfill, true, local.monitorInterval());
        }
        PubSubConfig pubsub = null;
        if (source == SourceKind.PUBSUB) {
            ConfigException.require(!o.once, "--once", "only applies to local mode (--input-dir)");
            pubsub = new PubSubConfig(
                    o.projectId,
                    PubSubConfig.fullSubscription(o.projectId, o.subscription),
                    firstNonBlank(o.pubsubEndpoint, env.get("PUBSUB_EMULATOR_HOST")),
                    o.maxOutstandingMessages,
                    Units.bytes("--max-outstanding-bytes", o.maxOutstandingBytes, null),
                    o.contentTypePrefix,
                    o.namePrefix,
                    o.nameSuffix,
                    Units.duration("--max-ack-extension", o.maxAckExtension, MIN_ACK_EXTENSION),
                    firstNonBlank(o.monitoringEndpoint, null),
                    Units.duration("--backlog-poll-interval", o.backlogPollInterval, "0ms"));
        }
        ConfigException.require(o.fetchRetries == null, "--fetch-retries",
                "is gone: transient failures are retried until --fetch-retry-budget (a duration) is spent");
        GcsConfig gcs = new GcsConfig(
                firstNonBlank(o.gcsEndpoint, storageEmulatorUrl(env.get("STORAGE_EMULATOR_HOST"))),
                o.projectId,
                o.fetchCapacity,
                Units.duration("--fetch-timeout", o.fetchTimeout, MIN_FETCH_TIMEOUT),
                Units.duration("--fetch-retry-budget", o.fetchRetryBudget, "0ms"),
                Units.duration("--fetch-initial-backoff", o.fetchInitialBackoff, "0ms"),
                Units.duration("--fetch-max-backoff", o.fetchMaxBackoff, "0ms"));

        String defaultModel = Path.of(sharedDir, DEFAULT_MODEL).toString();
        String model = o.model != null ? o.model : defaultModel;
        String fallbackLabels = o.fallbackLabels;
        if (fallbackLabels == null && model.equals(defaultModel)) {
            fallbackLabels = Path.of(sharedDir, DEFAULT_LABELS).toString();
        }
        ModelRolloutSettings rollout = rollout(o);
        if (rollout.watched()) {
            ConfigException.require(o.model == null && o.labels == null, "--model-repository",
                    "replaces --model and --labels (each version folder holds its model and labels)");
            model = rollout.repository();
            fallbackLabels = null;
        }
        ModelSettings modelSettings = new ModelSettings(
                model,
                o.labels,
                fallbackLabels,
                o.topK,
                o.confidenceThreshold,
                o.intraOpThreads,
                o.executionProvider,
                Units.bytes("--max-image-bytes", o.maxImageBytes, MAX_IMAGE_BYTES),
                o.maxImagePixels,
                rollout);

        OutputConfig output = new OutputConfig(o.outputDir, o.console);
        BigQueryConfig bigquery = o.outputBqTable == null ? null : BigQueryConfig.parseTable(
                o.outputBqTable, BigQueryDelivery.parse(o.bqDelivery), o.bigqueryEndpoint, o.bigqueryWriteEndpoint);

        RuntimeConfig runtime = new RuntimeConfig(
                o.parallelism != null ? o.parallelism : 0,
                o.checkpointInterval == null ? null
                        : Units.duration("--checkpoint-interval", o.checkpointInterval, MIN_CHECKPOINT_INTERVAL),
                o.unalignedCheckpoints,
                o.bufferTimeout == null ? null : Units.duration("--buffer-timeout", o.bufferTimeout, "0ms"),
                o.checkpointDir,
                o.webUiPort,
                Units.duration("--dedupe-ttl", o.dedupeTtl, MIN_DEDUPE_TTL));

        return new JobConfig(source, local, pubsub, gcs, modelSettings, output, bigquery, runtime, backfill);
    }

    private static BackfillConfig backfill(JobOptions o) {
        String[] bucketAndPrefix = BackfillConfig.bucketAndPrefix(o.backfill);
        return new BackfillConfig(bucketAndPrefix[0], bucketAndPrefix[1], o.backfillPageSize, o.backfillRate,
                instant("--backfill-created-after", o.backfillCreatedAfter),
                Units.duration("--backfill-progress-interval", o.backfillProgressInterval, "1s"),
                o.contentTypePrefix, o.namePrefix, o.nameSuffix);
    }

    /** An RFC 3339 instant, or a date (midnight UTC); null stays null. */
    private static Instant instant(String flag, String value) {
        if (value == null) {
            return null;
        }
        try {
            return value.contains("T") ? OffsetDateTime.parse(value).toInstant()
                    : LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            throw new ConfigException(flag + " is not a date or time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z): " + value);
        }
    }

    private static ModelRolloutSettings rollout(JobOptions o) {
        return new ModelRolloutSettings(o.modelRepository,
                Units.duration("--model-poll-interval", o.modelPollInterval, MIN_MODEL_POLL_INTERVAL),
                o.canaryFraction, o.canaryImages, o.canaryMinAgreement, o.canaryAutoPromote);
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
