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
        LocalSourceConfig local = new LocalSourceConfig(o.inputDir, o.once, duration("--monitor-interval", o.monitorInterval));
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
                    bytes("--max-outstanding-bytes", o.maxOutstandingBytes),
                    o.contentTypePrefix,
                    o.namePrefix,
                    o.nameSuffix,
                    duration("--max-ack-extension", o.maxAckExtension));
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
        ModelSettings modelSettings = new ModelSettings(
                model,
                labels,
                o.topK,
                o.confidenceThreshold,
                o.intraOpThreads,
                o.executionProvider,
                bytes("--max-image-bytes", o.maxImageBytes),
                o.maxImagePixels);

        OutputConfig output = new OutputConfig(o.outputDir, o.console);
        BigQueryConfig bigquery = o.outputBqTable == null ? null : BigQueryConfig.parseTable(
                o.outputBqTable, BigQueryDelivery.parse(o.bqDelivery), o.bigqueryEndpoint, o.bigqueryWriteEndpoint);

        int parallelism = o.parallelism != null ? o.parallelism : Runtime.getRuntime().availableProcessors();
        RuntimeConfig runtime = new RuntimeConfig(
                parallelism,
                duration("--checkpoint-interval", o.checkpointInterval),
                duration("--dedupe-ttl", o.dedupeTtl));

        return new JobConfig(source, local, pubsub, gcs, modelSettings, output, bigquery, runtime, backfill);
    }

    private static BackfillConfig backfill(JobOptions o) {
        String[] bucketAndPrefix = BackfillConfig.bucketAndPrefix(o.backfill);
        return new BackfillConfig(bucketAndPrefix[0], bucketAndPrefix[1], o.backfillPageSize, o.backfillRate,
                instant("--backfill-created-after", o.backfillCreatedAfter),
                duration("--backfill-progress-interval", o.backfillProgressInterval),
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
