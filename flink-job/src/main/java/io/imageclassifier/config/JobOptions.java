package io.imageclassifier.config;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line, as picocli binds it. Plain mutable fields by necessity; nothing outside this
 * package sees them: {@link JobConfigParser} turns them into the immutable {@link JobConfig}.
 * Flag names of the older PySpark job are kept where they overlap.
 */
@Command(
        name = "image-classifier",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Classifies images with an ONNX model (MobileNetV2 by default) as they arrive, and writes one "
                    + "prediction row per image to JSON files, the console and (optionally) BigQuery.",
            "Source: a local directory (default), or GCS object-finalize notifications on a Pub/Sub "
                    + "subscription when --subscription is given.",
            "Durations take a unit (500ms, 10s, 5min, 7d); sizes take one too (40mb, 1gb)."
        })
final class JobOptions {

    // ---- local source
    @Option(names = "--input-dir", paramLabel = "DIR", defaultValue = "samples",
            description = "Local mode: directory whose images are classified (default: ${DEFAULT-VALUE}).")
    String inputDir;

    @Option(names = "--once", description = "Local mode: classify what is in --input-dir now, then exit "
            + "when every row is written. Without it the directory is watched for new files.")
    boolean once;

    @Option(names = "--monitor-interval", paramLabel = "DURATION", defaultValue = "1s",
            description = "Local mode: how often the directory is listed for new files (default: ${DEFAULT-VALUE}).")
    String monitorInterval;

    // ---- Pub/Sub source
    @Option(names = "--project-id", paramLabel = "PROJECT",
            description = "GCP project (of the subscription, and of the BigQuery client when needed).")
    String projectId;

    @Option(names = "--subscription", paramLabel = "SUB",
            description = "Cloud mode: Pub/Sub subscription of the bucket's notifications, short name "
                    + "(with --project-id) or projects/P/subscriptions/S.")
    String subscription;

    @Option(names = "--pubsub-endpoint", paramLabel = "HOST:PORT",
            description = "Pub/Sub emulator endpoint (plaintext, no credentials). Default: $PUBSUB_EMULATOR_HOST "
                    + "if set, else the real service.")
    String pubsubEndpoint;

    @Option(names = "--max-outstanding-messages", paramLabel = "N", defaultValue = "0",
            description = "Pub/Sub flow control per reader: unacked messages; messages are acked when their "
                    + "checkpoint completes, so a reader holds every message of a checkpoint interval "
                    + "(default: ${DEFAULT-VALUE}: no count limit, --max-outstanding-bytes rules).")
    long maxOutstandingMessages;

    @Option(names = "--max-outstanding-bytes", paramLabel = "SIZE", defaultValue = "100mb",
            description = "Pub/Sub flow control per reader: unacked bytes, ~80,000 notifications at the default "
                    + "(default: ${DEFAULT-VALUE}).")
    String maxOutstandingBytes;

    @Option(names = "--content-type-prefix", paramLabel = "PREFIX", defaultValue = "image/",
            description = "Cloud mode: classify only objects whose content type starts with this; others go to "
                    + "dead-letter (default: ${DEFAULT-VALUE}; empty string: all).")
    String contentTypePrefix;

    @Option(names = "--name-prefix", paramLabel = "PREFIX", defaultValue = "",
            description = "Cloud mode: classify only object names starting with this; others are skipped.")
    String namePrefix;

    @Option(names = "--name-suffix", paramLabel = "SUFFIX", defaultValue = "",
            description = "Cloud mode: classify only object names ending with this; others are skipped.")
    String nameSuffix;

    @Option(names = "--max-ack-extension", paramLabel = "DURATION", defaultValue = "60min",
            description = "Cloud mode: how long a received message's Pub/Sub lease is extended while it waits for "
                    + "the checkpoint that acknowledges it; keep it well above --checkpoint-interval "
                    + "(default: ${DEFAULT-VALUE}).")
    String maxAckExtension;

    @Option(names = "--monitoring-endpoint", paramLabel = "HOST:PORT",
            description = "Cloud Monitoring stand-in endpoint (plaintext, no credentials) for the subscription's "
                    + "backlog. Default: the real service, none against a Pub/Sub emulator.")
    String monitoringEndpoint;

    @Option(names = "--backlog-poll-interval", paramLabel = "DURATION", defaultValue = "60s",
            description = "Cloud mode: how often the subscription's backlog (num_undelivered_messages) is read "
                    + "from Cloud Monitoring for the source's pendingRecords metric; 0 turns it off "
                    + "(default: ${DEFAULT-VALUE}).")
    String backlogPollInterval;

    // ---- Cloud Storage
    @Option(names = "--gcs-endpoint", paramLabel = "URL",
            description = "Cloud Storage emulator URL (no credentials). Default: $STORAGE_EMULATOR_HOST if set, "
                    + "else the real service.")
    String gcsEndpoint;

    @Option(names = "--fetch-capacity", paramLabel = "N", defaultValue = "16",
            description = "Concurrent GCS fetches per subtask (default: ${DEFAULT-VALUE}).")
    int fetchCapacity;

    @Option(names = "--fetch-timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "Timeout of one object fetch, retries included (default: ${DEFAULT-VALUE}).")
    String fetchTimeout;

    @Option(names = "--fetch-retries", paramLabel = "N", defaultValue = "5",
            description = "Retries of a fetch on 429/5xx/timeouts, with exponential backoff (default: ${DEFAULT-VALUE}).")
    int fetchRetries;

    @Option(names = "--fetch-initial-backoff", paramLabel = "DURATION", defaultValue = "200ms",
            description = "First retry delay, doubled each retry (default: ${DEFAULT-VALUE}).")
    String fetchInitialBackoff;

    // ---- model
    @Option(names = {"--model", "--model-gcs-path"}, paramLabel = "PATH",
            description = "ONNX model: local path or gs:// URI; its preprocessing is read from <model>.json when "
                    + "present (default: $SHARED_DIR/models/mobilenetv2-12-int8.onnx, SHARED_DIR=../shared).")
    String model;

    @Option(names = "--labels", paramLabel = "PATH",
            description = "Labels file, one class name per line (default: the sidecar's \"labels\", or "
                    + "$SHARED_DIR/labels/imagenet_classes.txt for the default model).")
    String labels;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5",
            description = "Best classes listed per prediction (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--confidence-threshold", paramLabel = "T", defaultValue = "0.0",
            description = "Predictions whose top score is below T go to dead-letter (default: ${DEFAULT-VALUE}).")
    double confidenceThreshold;

    @Option(names = "--intra-op-threads", paramLabel = "N", defaultValue = "1",
            description = "ONNX Runtime intra-op threads per inference call (default: ${DEFAULT-VALUE}; "
                    + "parallelism already uses the cores).")
    int intraOpThreads;

    @Option(names = "--execution-provider", paramLabel = "cpu|cuda", defaultValue = "cpu",
            description = "ONNX Runtime execution provider; cuda falls back to cpu with a warning (default: ${DEFAULT-VALUE}).")
    String executionProvider;

    @Option(names = "--max-image-bytes", paramLabel = "SIZE", defaultValue = "40mb",
            description = "Larger objects go to dead-letter as too_large, unread (default: ${DEFAULT-VALUE}).")
    String maxImageBytes;

    @Option(names = "--max-image-pixels", paramLabel = "N", defaultValue = "50000000",
            description = "Images declaring more pixels go to dead-letter as too_many_pixels, undecoded "
                    + "(default: ${DEFAULT-VALUE}).")
    long maxImagePixels;

    // ---- model rollout
    @Option(names = "--model-repository", paramLabel = "DIR",
            description = "Watch a model repository instead of loading one --model: a local folder or gs:// prefix "
                    + "with one folder per version (model.onnx, its sidecar, labels) and a CURRENT object naming the "
                    + "version to run; a new name in CURRENT is loaded, checked and swapped in without a restart.")
    String modelRepository;

    @Option(names = "--model-poll-interval", paramLabel = "DURATION", defaultValue = "30s",
            description = "How often each TaskManager reads the repository's CURRENT and CANDIDATE; a new version "
                    + "runs everywhere within this plus its load time (default: ${DEFAULT-VALUE}).")
    String modelPollInterval;

    @Option(names = "--canary-fraction", paramLabel = "F", defaultValue = "0",
            description = "Also classify this share of the images (chosen by a hash of their key) with the "
                    + "repository's CANDIDATE version, and compare (default: ${DEFAULT-VALUE}: off).")
    double canaryFraction;

    @Option(names = "--canary-images", paramLabel = "N", defaultValue = "200",
            description = "Compared images after which the canary judge decides (default: ${DEFAULT-VALUE}).")
    int canaryImages;

    @Option(names = "--canary-min-agreement", paramLabel = "A", defaultValue = "0.95",
            description = "Share of compared images whose top label must agree to promote (default: ${DEFAULT-VALUE}).")
    double canaryMinAgreement;

    @Option(names = "--canary-auto-promote",
            description = "Let the canary judge publish its decision: rewrite CURRENT (promote) or write "
                    + "<version>/REJECTED (reject). Needs write access to those objects; without it the decision "
                    + "is only logged and counted.")
    boolean canaryAutoPromote;

    // ---- outputs
    @Option(names = "--output-dir", paramLabel = "DIR", defaultValue = "out",
            description = "JSON Lines output: predictions/ and dead-letter/ under it; local path or gs:// "
                    + "(default: ${DEFAULT-VALUE}).")
    String outputDir;

    @Option(names = "--console", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Print one line per prediction to stdout (default: on).")
    boolean console;

    @Option(names = "--output-bq-table", paramLabel = "PROJECT.DATASET.TABLE",
            description = "Also write predictions to this BigQuery table (created if missing).")
    String outputBqTable;

    @Option(names = "--bq-delivery", paramLabel = "MODE", defaultValue = "exactly-once",
            description = "exactly-once (PENDING streams committed on checkpoint) or at-least-once "
                    + "(_default stream) (default: ${DEFAULT-VALUE}).")
    String bqDelivery;

    @Option(names = "--bigquery-endpoint", paramLabel = "URL",
            description = "BigQuery REST emulator endpoint (plaintext, no credentials).")
    String bigqueryEndpoint;

    @Option(names = "--bigquery-write-endpoint", paramLabel = "HOST:PORT",
            description = "BigQuery Storage Write gRPC emulator endpoint (plaintext, no credentials).")
    String bigqueryWriteEndpoint;

    // ---- runtime
    @Option(names = "--parallelism", paramLabel = "N",
            description = "Operator parallelism (default: the number of cores; 0: the cluster's default).")
    Integer parallelism;

    @Option(names = "--checkpoint-interval", paramLabel = "DURATION", defaultValue = "5s",
            description = "Checkpoint interval; files, acks and BigQuery commits happen on checkpoints "
                    + "(default: ${DEFAULT-VALUE}).")
    String checkpointInterval;

    @Option(names = "--dedupe-ttl", paramLabel = "DURATION", defaultValue = "7d",
            description = "How long an object version is remembered as classified (default: ${DEFAULT-VALUE}).")
    String dedupeTtl;
}
