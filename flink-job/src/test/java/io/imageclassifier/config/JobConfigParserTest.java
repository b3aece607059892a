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
    void helpListsEveryFlag() {
        JobConfigParser.Parsed parsed = JobConfigParser.parse(new String[] {"--help"}, Map.of());
        assertThat(parsed.isHelp()).isTrue();
        assertThat(parsed.helpText()).contains("--input-dir", "--once", "--output-dir", "--model", "--labels",
                "--top-k", "--confidence-threshold", "--parallelism", "--checkpoint-interval", "--subscription",
                "--project-id", "--output-bq-table", "--bq-delivery", "--max-image-bytes", "--max-image-pixels");
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
