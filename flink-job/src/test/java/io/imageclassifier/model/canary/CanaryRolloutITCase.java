package io.imageclassifier.model.canary;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.model.ModelWatchers;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.ModelRepos;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary rollouts decided by the job itself, on the real graph (MiniCluster, real model) with the
 * model repository on fake-gcs-server: the judge rewrites {@code CURRENT} there to promote, or writes
 * the candidate's {@code REJECTED} marker, and every TaskManager's watcher follows.
 */
class CanaryRolloutITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .setConfiguration(METRICS.addToConfiguration(new Configuration()))
                    .build());

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    @TempDir Path input;
    @TempDir Path output;
    @TempDir Path versions;

    @AfterEach
    void nothingLeftOpen() throws Exception {
        waitFor("watchers and sessions closed", Duration.ofSeconds(60),
                () -> ModelWatchers.jvmWide().running() == 0 && SharedModelRegistry.jvmWide().openSessions() == 0);
    }

    /** Uploads v1 (ImageNet labels), v2 (the same, named differently) and v3 (every label shifted). */
    private void uploadRepository(Storage storage, String bucket, String candidate) throws Exception {
        storage.create(BucketInfo.of(bucket));
        upload(storage, bucket, "v1", ModelRepos.SAME_LABELS);
        upload(storage, bucket, "v2", ModelRepos.SAME_LABELS);
        upload(storage, bucket, "v3", ModelRepos.SHIFTED_LABELS);
        put(storage, bucket, "mobilenet/CURRENT", "v1\n");
        put(storage, bucket, "mobilenet/CANDIDATE", candidate + "\n");
    }

    private void upload(Storage storage, String bucket, String version, UnaryOperator<List<String>> labels)
            throws Exception {
        Path dir = ModelRepos.addVersion(versions, version, labels);
        for (String file : List.of("model.onnx", "model.json", "labels.txt")) {
            storage.create(BlobInfo.newBuilder(bucket, "mobilenet/" + version + "/" + file).build(),
                    Files.readAllBytes(dir.resolve(file)));
        }
    }

    private static void put(Storage storage, String bucket, String name, String text) {
        storage.create(BlobInfo.newBuilder(bucket, name).build(), text.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(Storage storage, String bucket, String name) {
        Blob blob = storage.get(BlobId.of(bucket, name));
        return blob == null ? null : new String(blob.getContent(), StandardCharsets.UTF_8).strip();
    }

    private JobClient start(String bucket) throws Exception {
        List<String> args = new ArrayList<>(List.of("--input-dir", input.toString(), "--output-dir", output.toString(),
                "--parallelism", "2", "--checkpoint-interval", "300ms", "--monitor-interval", "100ms", "--no-console",
                "--model-repository", "gs://" + bucket + "/mobilenet/", "--model-poll-interval", "200ms",
                "--gcs-endpoint", EMULATORS.gcsEndpoint(), "--canary-fraction", "0.5", "--canary-images", "20",
                "--canary-min-agreement", "0.9", "--canary-auto-promote"));
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new),
                Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env.executeAsync("canary");
    }

    private void copyImages(int from, int to) throws Exception {
        for (Path image : SharedData.devImages().subList(from, to)) {
            Path tmp = input.resolve("." + image.getFileName());
            Files.copy(image, tmp);
            Files.move(tmp, input.resolve(image.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private List<JsonNode> predictions() {
        return JsonRows.read(output.resolve("predictions"));
    }

    private List<JsonNode> canaryRows() {
        return JsonRows.read(output.resolve("canary"));
    }

    private static List<String> openVersions() {
        return SharedModelRegistry.jvmWide().openModels().stream()
                .map(m -> m.substring(0, m.lastIndexOf('/'))).map(m -> m.substring(m.lastIndexOf('/') + 1))
                .sorted().toList();
    }

    @Test
    void aCandidateThatAgreesIsPromotedByTheJobAndThenClassifiesEverything() throws Exception {
        String bucket = "canary-promote";
        try (Storage storage = EMULATORS.storage()) {
            uploadRepository(storage, bucket, "v2");
            copyImages(0, 80);
            JobClient job = start(bucket);
            long promotions;
            try {
                waitFor("the judge to promote v2", Duration.ofSeconds(180),
                        () -> "v2".equals(read(storage, bucket, "mobilenet/CURRENT")));
                waitFor("v2 running alone", Duration.ofSeconds(60), () -> openVersions().equals(List.of("v2")));
                copyImages(80, 120);
                waitFor("120 rows", Duration.ofSeconds(180), () -> predictions().size() >= 120);
                Thread.sleep(1500);
                promotions = counter(job.getJobID(), CanaryJudge.METRIC_PROMOTIONS);
            } finally {
                job.cancel().get();
            }
            assertThat(promotions).isEqualTo(1);
            assertThat(read(storage, bucket, "mobilenet/v2/REJECTED")).isNull();
        }
        Map<String, JsonNode> rows = predictions().stream()
                .collect(Collectors.toMap(r -> r.get("name").asText(), r -> r));
        assertThat(rows).hasSize(120);
        assertThat(predictions()).allSatisfy(r -> assertThat(r.has("candidate_version")).isFalse());
        for (Path image : SharedData.devImages().subList(80, 120)) {
            JsonNode row = rows.get(image.getFileName().toString());
            assertThat(row.get("model_version").asText()).as(row.toString()).isEqualTo("v2");
            assertThat(row.get("model_name").asText()).isEqualTo("mobilenet-v2");
        }

        List<JsonNode> canary = canaryRows();
        assertThat(canary.size()).isGreaterThanOrEqualTo(20);
        CanarySampler sampler = new CanarySampler(0.5);
        assertThat(canary).allSatisfy(c -> {
            assertThat(c.get("current_version").asText()).isEqualTo("v1");
            assertThat(c.get("candidate_version").asText()).isEqualTo("v2");
            assertThat(c.get("agree").asBoolean()).isTrue();
            assertThat(c.get("candidate_label").asText()).isEqualTo(c.get("current_label").asText());
            assertThat(sampler.sampled(c.get("bucket").asText() + "/" + c.get("name").asText() + "#"
                    + c.get("generation").asText())).as(c.toString()).isTrue();
        });
    }

    @Test
    void aCandidateThatDisagreesIsRejectedByTheJobAndTheCurrentVersionStays() throws Exception {
        String bucket = "canary-reject";
        try (Storage storage = EMULATORS.storage()) {
            uploadRepository(storage, bucket, "v3");
            copyImages(0, 60);
            JobClient job = start(bucket);
            long rejections;
            try {
                waitFor("the judge to reject v3", Duration.ofSeconds(180),
                        () -> read(storage, bucket, "mobilenet/v3/REJECTED") != null);
                waitFor("the candidate dropped", Duration.ofSeconds(60), () -> openVersions().equals(List.of("v1")));
                copyImages(60, 80);
                waitFor("80 rows", Duration.ofSeconds(180), () -> predictions().size() >= 80);
                rejections = counter(job.getJobID(), CanaryJudge.METRIC_REJECTIONS);
            } finally {
                job.cancel().get();
            }
            assertThat(rejections).isEqualTo(1);
            assertThat(read(storage, bucket, "mobilenet/v3/REJECTED")).contains("rejected against v1")
                    .contains("compared images disagree");
            assertThat(read(storage, bucket, "mobilenet/CURRENT")).isEqualTo("v1");
        }
        assertThat(predictions()).hasSize(80)
                .allSatisfy(r -> assertThat(r.get("model_version").asText()).isEqualTo("v1"));
        assertThat(canaryRows()).isNotEmpty().allSatisfy(c -> {
            assertThat(c.get("candidate_version").asText()).isEqualTo("v3");
            assertThat(c.get("agree").asBoolean()).isFalse();
        });
    }

    private static long counter(JobID job, String name) {
        long sum = 0;
        for (Map.Entry<MetricGroup, Map<String, Metric>> e : METRICS.getMetricsByGroup().entrySet()) {
            if (job.toString().equals(e.getKey().getAllVariables().get("<job_id>"))
                    && e.getValue().get(name) instanceof Counter c) {
                sum += c.getCount();
            }
        }
        return sum;
    }

    private static void waitFor(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
