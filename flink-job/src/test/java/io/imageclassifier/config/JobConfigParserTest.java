package io.imageclassifier.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigParserTest {

    private static JobConfig parse(Map<String, String> env, String... args) {
        return JobConfigParser.parse(args, env).config();
    }

    @Test
    void defaultsToLocalModeOnSamplesWithTheSharedModel() {
        JobConfig c = parse(Map.of("SHARED_DIR", "/data/shared"));

        assertThat(c.source()).isEqualTo(SourceKind.LOCAL);
        assertThat(c.local().inputDir()).isEqualTo("samples");
        assertThat(c.local().once()).isFalse();
        assertThat(c.model().model()).isEqualTo("/data/shared/models/mobilenetv2-12-int8.onnx");
        assertThat(c.model().labels()).as("no override of a sidecar's labels").isNull();
        assertThat(c.model().fallbackLabels()).isEqualTo("/data/shared/labels/imagenet_classes.txt");
        assertThat(c.model().topK()).isEqualTo(5);
        assertThat(c.model().maxImageBytes()).isEqualTo(40L * 1024 * 1024);
        assertThat(c.model().maxImagePixels()).isEqualTo(50_000_000L);
        assertThat(c.output().predictionsDir()).isEqualTo("out/predictions");
        assertThat(c.output().deadLetterDir()).isEqualTo("out/dead-letter");
        assertThat(c.output().console()).isTrue();
        assertThat(c.runtime().dedupeTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(c.runtime().webUiPort()).isEqualTo("8081-8090");
        assertThat(c.bigquery()).isNull();
        assertThat(c.pubsub()).isNull();
    }

    @Test
    void customModelHasNoDefaultLabelsSoTheSidecarDecides() {
        JobConfig c = parse(Map.of(), "--model", "/m/model.onnx");
        assertThat(c.model().labels()).isNull();
        assertThat(c.model().fallbackLabels()).isNull();
    }

    @Test
    void fallbackLabelsDoNotOverrideTheSidecarButLabelsDo() {
        JobConfig c = parse(Map.of(), "--model", "gs://b/m.onnx", "--fallback-labels", "gs://b/imagenet.txt");
        assertThat(c.model().labels()).isNull();
        assertThat(c.model().fallbackLabels()).isEqualTo("gs://b/imagenet.txt");
        assertThat(parse(Map.of(), "--labels", "/l.txt").model().labels()).isEqualTo("/l.txt");
    }

    /** Flink settings belong to the cluster: none is set unless its flag is given. */
    @Test
    void flinkSettingsAreUnsetUnlessTheirFlagIsGiven() {
        RuntimeConfig r = parse(Map.of()).runtime();
        assertThat(r.parallelism()).isZero();
        assertThat(r.checkpointInterval()).isNull();
        assertThat(r.unalignedCheckpoints()).isNull();
        assertThat(r.bufferTimeout()).isNull();
        assertThat(r.checkpointDir()).isNull();

        r = parse(Map.of(), "--parallelism", "3", "--checkpoint-interval", "30s", "--no-unaligned-checkpoints",
                "--buffer-timeout", "20ms", "--checkpoint-dir", "gs://b/cp").runtime();
        assertThat(r.parallelism()).isEqualTo(3);
        assertThat(r.checkpointInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.unalignedCheckpoints()).isFalse();
        assertThat(r.bufferTimeout()).isEqualTo(Duration.ofMillis(20));
        assertThat(r.checkpointDir()).isEqualTo("gs://b/cp");
    }

    /** The PySpark job's flags, where the meaning is the same (README "Migrating from the PySpark job"). */
    @Test
    void theOlderJobsFlagNamesAreAliases() {
        JobConfig old = parse(Map.of(), "--project-id", "p", "--subscription", "s", "--checkpoint", "gs://b/cp",
                "--output-gcs-path", "gs://b/out", "--output-bq-table", "p.d.t", "--model-gcs-path", "gs://b/m.onnx",
                "--confidence-threshold", "0.3");
        JobConfig now = parse(Map.of(), "--project-id", "p", "--subscription", "s", "--checkpoint-dir", "gs://b/cp",
                "--output-dir", "gs://b/out", "--output-bq-table", "p.d.t", "--model", "gs://b/m.onnx",
                "--confidence-threshold", "0.3");
        assertThat(old).isEqualTo(now);
        assertThat(old.runtime().checkpointDir()).isEqualTo("gs://b/cp");
        assertThat(old.output().outputDir()).isEqualTo("gs://b/out");
        assertThat(old.model().model()).isEqualTo("gs://b/m.onnx");
        assertThat(old.pubsub().subscription()).isEqualTo("projects/p/subscriptions/s");
        assertThat(old.bigquery().tablePath()).isEqualTo("projects/p/datasets/d/tables/t");
        assertThat(old.model().confidenceThreshold()).isEqualTo(0.3);
    }

    /** README "Migrating from the PySpark job": the old job's environment variables are not read. */
    @Test
    void theOlderJobsEnvironmentVariablesAreNotRead() {
        Map<String, String> oldEnv = Map.of("PROJECT_ID", "old-p", "REGION", "europe-west1", "SUBSCRIPTION", "old-s",
                "CHECKPOINT_GCS", "gs://old/cp", "OUT_BQ", "old-p.d.t", "OUT_GCS", "gs://old/out",
                "MODEL_GCS_PATH", "gs://old/m.onnx");
        assertThat(parse(oldEnv, "--input-dir", "in")).isEqualTo(parse(Map.of(), "--input-dir", "in"));
        JobConfig cloud = parse(oldEnv, "--subscription", "projects/p/subscriptions/s");
        assertThat(cloud).isEqualTo(parse(Map.of(), "--subscription", "projects/p/subscriptions/s"));
        assertThat(cloud.bigquery()).isNull();
        assertThat(cloud.runtime().checkpointDir()).isNull();
    }

    @Test
    void webUiPortMustBeAPortOrARange() {
        assertThat(parse(Map.of(), "--web-ui-port", "9000").runtime().webUiPort()).isEqualTo("9000");
        assertThatThrownBy(() -> parse(Map.of(), "--web-ui-port", "any")).hasMessageContaining("--web-ui-port");
    }

    @Test
    void subscriptionSelectsPubSubAndExpandsShortNames() {
        JobConfig c = parse(Map.of("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085"),
                "--project-id", "p1", "--subscription", "images-sub");

        assertThat(c.source()).isEqualTo(SourceKind.PUBSUB);
        assertThat(c.pubsub().subscription()).isEqualTo("projects/p1/subscriptions/images-sub");
        assertThat(c.pubsub().endpoint()).isEqualTo("127.0.0.1:8085");
        assertThat(c.pubsub().emulator()).isTrue();
        assertThat(c.pubsub().contentTypePrefix()).isEqualTo("image/");
    }

    @Test
    void flagsWinOverEnvironmentAndStorageHostBecomesAUrl() {
        JobConfig c = parse(Map.of("STORAGE_EMULATOR_HOST", "localhost:4443", "PUBSUB_EMULATOR_HOST", "x:1"),
                "--subscription", "projects/p/subscriptions/s", "--pubsub-endpoint", "127.0.0.1:9999");
        assertThat(c.pubsub().endpoint()).isEqualTo("127.0.0.1:9999");
        assertThat(c.gcs().endpoint()).isEqualTo("http://localhost:4443");
    }

    @Test
    void shortSubscriptionWithoutProjectNamesTheMissingFlag() {
        assertThatThrownBy(() -> parse(Map.of(), "--subscription", "s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--project-id");
    }

    @Test
    void bigQueryTableUsesTheOlderJobsFormat() {
        JobConfig c = parse(Map.of(), "--output-bq-table", "proj.ds.preds", "--bq-delivery", "at-least-once");
        assertThat(c.bigquery().tablePath()).isEqualTo("projects/proj/datasets/ds/tables/preds");
        assertThat(c.bigquery().delivery()).isEqualTo(BigQueryDelivery.AT_LEAST_ONCE);

        assertThatThrownBy(() -> parse(Map.of(), "--output-bq-table", "ds.preds"))
                .hasMessageContaining("--output-bq-table");
        assertThatThrownBy(() -> parse(Map.of(), "--output-bq-table", "p.d.t", "--bq-delivery", "maybe"))
                .hasMessageContaining("--bq-delivery");
    }

    @Test
    void invalidValuesNameTheirFlag() {
        assertThatThrownBy(() -> parse(Map.of(), "--top-k", "0")).hasMessageContaining("--top-k");
        assertThatThrownBy(() -> parse(Map.of(), "--confidence-threshold", "1.5"))
                .hasMessageContaining("--confidence-threshold");
        assertThatThrownBy(() -> parse(Map.of(), "--checkpoint-interval", "soon"))
                .hasMessageContaining("--checkpoint-interval");
        assertThatThrownBy(() -> parse(Map.of(), "--max-image-bytes", "lots"))
                .hasMessageContaining("--max-image-bytes");
        assertThatThrownBy(() -> parse(Map.of(), "--execution-provider", "tpu"))
                .hasMessageContaining("--execution-provider");
        assertThatThrownBy(() -> parse(Map.of(), "--no-such-flag"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--no-such-flag");
    }

    // ---- issue #11 defect 6: a bare number is not a duration or a size

    @Test
    void bareNumbersAreRejectedWhereADurationIsExpected() {
        for (String flag : new String[] {"--fetch-timeout", "--checkpoint-interval", "--dedupe-ttl",
                "--monitor-interval", "--fetch-initial-backoff"}) {
            assertThatThrownBy(() -> parse(Map.of(), flag, "60"))
                    .as(flag)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(flag)
                    .hasMessageContaining("needs a unit");
        }
        assertThatThrownBy(() -> parse(Map.of(), "--subscription", "projects/p/subscriptions/s",
                "--max-ack-extension", "3600"))
                .hasMessageContaining("--max-ack-extension").hasMessageContaining("needs a unit");
    }

    @Test
    void bareNumbersAreRejectedWhereASizeIsExpected() {
        assertThatThrownBy(() -> parse(Map.of(), "--max-image-bytes", "40000000"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--max-image-bytes").hasMessageContaining("needs a unit");
        assertThatThrownBy(() -> parse(Map.of(), "--subscription", "projects/p/subscriptions/s",
                "--max-outstanding-bytes", "100000000"))
                .hasMessageContaining("--max-outstanding-bytes").hasMessageContaining("needs a unit");
    }

    @Test
    void valuesWithUnitsAreAccepted() {
        JobConfig c = parse(Map.of(), "--fetch-timeout", "60s", "--checkpoint-interval", "30s", "--dedupe-ttl",
                "604800s", "--max-image-bytes", "8mb", "--monitor-interval", "250ms");
        assertThat(c.gcs().fetchTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.runtime().checkpointInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.runtime().dedupeTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(c.model().maxImageBytes()).isEqualTo(8L * 1024 * 1024);
        assertThat(c.local().monitorInterval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void durationsBelowTheirSensibleMinimumAreRejectedWithTheMinimum() {
        assertThatThrownBy(() -> parse(Map.of(), "--checkpoint-interval", "30ms"))
                .hasMessageContaining("--checkpoint-interval").hasMessageContaining("at least 100ms");
        assertThatThrownBy(() -> parse(Map.of(), "--fetch-timeout", "60ms"))
                .hasMessageContaining("--fetch-timeout").hasMessageContaining("at least 1s");
        assertThatThrownBy(() -> parse(Map.of(), "--dedupe-ttl", "300s"))
                .hasMessageContaining("--dedupe-ttl").hasMessageContaining("at least 10min");
        assertThatThrownBy(() -> parse(Map.of(), "--monitor-interval", "1ms"))
                .hasMessageContaining("--monitor-interval").hasMessageContaining("at least 50ms");
    }

    @Test
    void imageSizeLimitMustFitInOneByteArray() {
        assertThatThrownBy(() -> parse(Map.of(), "--max-image-bytes", "3gb"))
                .hasMessageContaining("--max-image-bytes").hasMessageContaining("at most 1gb");
    }

    @Test
    void pixelLimitThatWouldOverflowTheDecodersArraysIsRejected() {
        // width x height x 4 bytes (an RGBA or 16-bit raster) must stay within one Java array.
        assertThatThrownBy(() -> parse(Map.of(), "--max-image-pixels", "9000000000"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--max-image-pixels").hasMessageContaining("at most 536870911");
        assertThatThrownBy(() -> parse(Map.of(), "--max-image-pixels", "99999999999999999999"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--max-image-pixels");
        assertThat(parse(Map.of(), "--max-image-pixels", "536870911").model().maxImagePixels()).isEqualTo(536_870_911L);
    }

    @Test
    void outputDirectoryInsideTheWatchedInputDirectoryIsRejected(@TempDir Path dir) throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        assertThatThrownBy(() -> parse(Map.of(), "--input-dir", in.toString(), "--output-dir", in.resolve("out").toString()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--output-dir").hasMessageContaining("inside --input-dir");
        assertThatThrownBy(() -> parse(Map.of(), "--input-dir", in.toString(), "--output-dir", in.toString()))
                .hasMessageContaining("inside --input-dir");
        // Relative and un-normalised spellings of the same place.
        assertThatThrownBy(() -> parse(Map.of(), "--input-dir", dir + "/in/../in", "--output-dir", dir + "/in/x/.."))
                .hasMessageContaining("inside --input-dir");
        // A symbolic link into the input directory is the input directory.
        Path link = Files.createSymbolicLink(dir.resolve("link"), in);
        assertThatThrownBy(() -> parse(Map.of(), "--input-dir", in.toString(), "--output-dir", link.resolve("out").toString()))
                .hasMessageContaining("inside --input-dir");

        // Siblings and a gs:// output are fine; so is an input inside the output.
        assertThat(parse(Map.of(), "--input-dir", in.toString(), "--output-dir", dir.resolve("out").toString())).isNotNull();
        assertThat(parse(Map.of(), "--input-dir", in.toString(), "--output-dir", "gs://b/out")).isNotNull();
        assertThat(parse(Map.of(), "--input-dir", dir.resolve("in-other").toString(), "--output-dir", in.toString()))
                .isNotNull();
    }

    @Test
    void onceIsRejectedInPubSubMode() {
        assertThatThrownBy(() -> parse(Map.of(), "--subscription", "projects/p/subscriptions/s", "--once"))
                .hasMessageContaining("--once");
    }

    @Test
    void backfillOfABucketWithASubscriptionRunsBesideTheNotificationsWithTheirFilters() {
        JobConfig c = parse(Map.of(), "--subscription", "projects/p/subscriptions/s", "--backfill",
                "gs://photos-inbox/2026/", "--name-prefix", "2026/11/", "--name-suffix", ".jpg",
                "--backfill-page-size", "50", "--backfill-rate", "200", "--backfill-created-after", "2026-11-01");

        assertThat(c.source()).isEqualTo(SourceKind.PUBSUB);
        BackfillConfig b = c.backfill();
        assertThat(b.bucket()).isEqualTo("photos-inbox");
        assertThat(b.prefix()).isEqualTo("2026/");
        assertThat(b.listPrefix()).isEqualTo("2026/11/"); // the narrower of the two
        assertThat(b.location()).isEqualTo("gs://photos-inbox/2026/");
        assertThat(b.nameSuffix()).isEqualTo(".jpg");
        assertThat(b.contentTypePrefix()).isEqualTo("image/");
        assertThat(b.pageSize()).isEqualTo(50);
        assertThat(b.maxObjectsPerSecond()).isEqualTo(200.0);
        assertThat(b.createdAfter()).isEqualTo(java.time.Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(b.progressInterval()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void backfillOfABucketWithoutASubscriptionIsABackfillOnlyJob() {
        JobConfig c = parse(Map.of(), "--backfill", "gs://photos-inbox", "--backfill-created-after",
                "2026-11-01T12:30:00+01:00");
        assertThat(c.source()).isEqualTo(SourceKind.BACKFILL);
        assertThat(c.pubsub()).isNull();
        assertThat(c.backfill().listPrefix()).isEmpty();
        assertThat(c.backfill().pageSize()).isEqualTo(BackfillConfig.MAX_PAGE_SIZE);
        assertThat(c.backfill().maxObjectsPerSecond()).isZero();
        assertThat(c.backfill().createdAfter()).isEqualTo(java.time.Instant.parse("2026-11-01T11:30:00Z"));
    }

    @Test
    void backfillOfADirectoryIsABoundedLocalRunOverIt() {
        JobConfig c = parse(Map.of(), "--backfill", "/data/archive");
        assertThat(c.source()).isEqualTo(SourceKind.LOCAL);
        assertThat(c.local().inputDir()).isEqualTo("/data/archive");
        assertThat(c.local().once()).isTrue();
        assertThat(c.backfill()).isNull();
    }

    @Test
    void backfillConflictsAndBadValuesNameTheirFlag() {
        assertThatThrownBy(() -> parse(Map.of(), "--subscription", "projects/p/subscriptions/s", "--backfill", "/data"))
                .hasMessageContaining("--backfill").hasMessageContaining("gs://");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "gs://bucket", "--input-dir", "/data"))
                .hasMessageContaining("--backfill");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "gs://bucket", "--once"))
                .hasMessageContaining("--backfill");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "/data", "--input-dir", "/other"))
                .hasMessageContaining("--input-dir");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "gs://bucket/2025/", "--name-prefix", "2026/"))
                .hasMessageContaining("--name-prefix").hasMessageContaining("nothing would be listed");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "gs://Bad_Bucket"))
                .hasMessageContaining("--backfill");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "gs://bucket", "--backfill-page-size", "1001"))
                .hasMessageContaining("--backfill-page-size");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "gs://bucket", "--backfill-rate", "-1"))
                .hasMessageContaining("--backfill-rate");
        assertThatThrownBy(() -> parse(Map.of(), "--backfill", "gs://bucket", "--backfill-created-after", "last week"))
                .hasMessageContaining("--backfill-created-after");
    }

    @Test
    void helpListsEveryFlag() {
        JobConfigParser.Parsed parsed = JobConfigParser.parse(new String[] {"--help"}, Map.of());
        assertThat(parsed.isHelp()).isTrue();
        assertThat(parsed.helpText()).contains("--input-dir", "--once", "--output-dir", "--model", "--labels",
                "--top-k", "--confidence-threshold", "--parallelism", "--checkpoint-interval", "--subscription",
                "--project-id", "--output-bq-table", "--bq-delivery", "--max-image-bytes", "--max-image-pixels",
                "--fallback-labels", "--[no-]unaligned-checkpoints", "--buffer-timeout", "--checkpoint-dir", "--web-ui-port",
                "--checkpoint,", "--output-gcs-path", "--model-gcs-path",
                "--backfill", "--backfill-page-size", "--backfill-rate", "--backfill-created-after");
    }

    @Test
    void fetchRetriesAreBoundedByATimeBudgetThatCoversAtLeastOneAttempt() {
        JobConfig defaults = parse(Map.of());
        assertThat(defaults.gcs().retryBudget()).isEqualTo(java.time.Duration.ofMinutes(15));
        assertThat(defaults.gcs().maxBackoff()).isEqualTo(java.time.Duration.ofSeconds(30));

        assertThatThrownBy(() -> parse(Map.of(), "--fetch-timeout", "60s", "--fetch-retry-budget", "30s"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--fetch-retry-budget");
        assertThatThrownBy(() -> parse(Map.of(), "--fetch-initial-backoff", "5s", "--fetch-max-backoff", "1s"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--fetch-max-backoff");
        assertThatThrownBy(() -> parse(Map.of(), "--fetch-retries", "5"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--fetch-retry-budget");
    }
}
