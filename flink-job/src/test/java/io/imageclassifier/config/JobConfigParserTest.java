package io.imageclassifier.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
        assertThat(c.model().labels()).isEqualTo("/data/shared/labels/imagenet_classes.txt");
        assertThat(c.model().topK()).isEqualTo(5);
        assertThat(c.model().maxImageBytes()).isEqualTo(40L * 1024 * 1024);
        assertThat(c.model().maxImagePixels()).isEqualTo(50_000_000L);
        assertThat(c.output().predictionsDir()).isEqualTo("out/predictions");
        assertThat(c.output().deadLetterDir()).isEqualTo("out/dead-letter");
        assertThat(c.output().console()).isTrue();
        assertThat(c.runtime().parallelism()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.runtime().dedupeTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(c.bigquery()).isNull();
        assertThat(c.pubsub()).isNull();
    }

    @Test
    void customModelHasNoDefaultLabelsSoTheSidecarDecides() {
        JobConfig c = parse(Map.of(), "--model", "/m/model.onnx");
        assertThat(c.model().labels()).isNull();
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
                "--backfill", "--backfill-page-size", "--backfill-rate", "--backfill-created-after");
    }
}
