package io.imageclassifier.model;

import static io.imageclassifier.testing.ModelRepos.SAME_LABELS;
import static io.imageclassifier.testing.ModelRepos.UPPER_CASE_LABELS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.classify.ImageClassifier;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.ModelRepos;
import io.imageclassifier.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model versions swapped under the real local-mode job graph on a MiniCluster, with the real model:
 * version v2 is the shared MobileNetV2 with upper-case labels, so each row's label says which version
 * classified it, and must agree with the version the row names.
 */
class ModelSwapITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .setConfiguration(clusterConfig())
                    .build());

    /** The label each dev image gets from the shared model, computed directly as the reference. */
    private static final Map<String, String> EXPECTED = new HashMap<>();

    @TempDir Path input;
    @TempDir Path output;
    @TempDir Path repo;
    @TempDir Path savepoints;

    private static Configuration clusterConfig() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofMillis(200));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofSeconds(2));
        return METRICS.addToConfiguration(conf);
    }

    @BeforeAll
    static void classifyDirectly() throws Exception {
        try (ImageClassifier classifier = ImageClassifier.open(SharedData.modelConfig())) {
            for (Path image : SharedData.devImages()) {
                EXPECTED.put(image.getFileName().toString(), classifier.classify(Files.readAllBytes(image)).label());
            }
        }
    }

    @BeforeEach
    void repository() {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
    }

    @AfterEach
    void nothingLeftOpen() throws Exception {
        waitFor("watchers and sessions of the job closed", Duration.ofSeconds(60),
                () -> ModelWatchers.jvmWide().running() == 0 && openVersions().isEmpty());
    }

    private StreamExecutionEnvironment env(String... extra) {
        List<String> args = new ArrayList<>(List.of("--input-dir", input.toString(), "--output-dir", output.toString(),
                "--parallelism", "2", "--checkpoint-interval", "300ms", "--monitor-interval", "100ms", "--no-console",
                "--model-repository", repo.toString(), "--model-poll-interval", "100ms"));
        args.addAll(List.of(extra));
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new),
                Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env;
    }

    /** Copies dev images {@code from..to} (indexes into 3 x 200 names, so up to 600 files). */
    private void copyImages(int from, int to) throws Exception {
        List<Path> dev = SharedData.devImages();
        for (int i = from; i < to; i++) {
            Path image = dev.get(i % dev.size());
            String name = (i / dev.size()) + "-" + image.getFileName();
            Path tmp = input.resolve("." + name);
            Files.copy(image, tmp);
            Files.move(tmp, input.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private List<JsonNode> predictions() {
        return JsonRows.read(output.resolve("predictions"));
    }

    private static Map<String, JsonNode> byName(List<JsonNode> rows) {
        return rows.stream().collect(Collectors.toMap(r -> r.get("name").asText(), r -> r, (a, b) -> {
            throw new AssertionError("two rows for " + a.get("name"));
        }));
    }

    /** The versions whose sessions are open in this JVM (the MiniCluster's TaskManagers share it). */
    private static List<String> openVersions() {
        return SharedModelRegistry.jvmWide().openModels().stream()
                .map(m -> Path.of(m).getParent().getFileName().toString()).sorted().toList();
    }

    /** Every row is consistent: its label, top-k labels and model name come from the version it names. */
    private static void assertRowNamesTheVersionThatClassifiedIt(JsonNode row) {
        String version = row.get("model_version").asText();
        String expected = EXPECTED.get(row.get("name").asText().substring(2));
        String label = version.equals("v2") ? expected.toUpperCase(Locale.ROOT) : expected;
        assertThat(version).as(row.toString()).isIn("v1", "v2");
        assertThat(row.get("label").asText()).as(row.toString()).isEqualTo(label);
        assertThat(row.get("model_name").asText()).as(row.toString()).isEqualTo("mobilenet-" + version);
        assertThat(row.get("top_k").get(0).get("label").asText()).as(row.toString()).isEqualTo(label);
        for (JsonNode entry : row.get("top_k")) {
            String l = entry.get("label").asText();
            assertThat(l.equals(l.toUpperCase(Locale.ROOT))).as(row.toString()).isEqualTo(version.equals("v2"));
        }
    }

    @Test
    void aSwapInTheMiddleOf500ImagesLosesNoRowAndEveryRowNamesTheVersionItGot() throws Exception {
        copyImages(0, 150);
        JobClient job = env().executeAsync("swap");
        long swaps;
        try {
            waitFor("50 rows", Duration.ofSeconds(120), () -> predictions().size() >= 50);
            ModelRepos.point(repo, "CURRENT", "v2");
            for (int from = 150; from < 400; from += 50) {
                copyImages(from, from + 50);
                Thread.sleep(200);
            }
            waitFor("v1 closed after its last image", Duration.ofSeconds(60), () -> openVersions().equals(List.of("v2")));
            copyImages(400, 500);
            waitFor("500 rows", Duration.ofSeconds(180), () -> predictions().size() >= 500);
            Thread.sleep(1500); // a few more checkpoints: a duplicate would surface now
            swaps = metric(job.getJobID(), VersionedClassifier.METRIC_MODEL_SWAPS);
        } finally {
            job.cancel().get();
        }
        List<JsonNode> rows = predictions();
        assertThat(rows).hasSize(500);
        assertThat(byName(rows)).hasSize(500);
        assertThat(JsonRows.read(output.resolve("dead-letter"))).isEmpty();
        rows.forEach(ModelSwapITCase::assertRowNamesTheVersionThatClassifiedIt);
        Map<String, Long> perVersion = rows.stream()
                .collect(Collectors.groupingBy(r -> r.get("model_version").asText(), Collectors.counting()));
        assertThat(perVersion.get("v1")).isGreaterThanOrEqualTo(50);
        assertThat(perVersion.get("v2")).isGreaterThanOrEqualTo(100);
        assertThat(swaps).as("each of the two subtasks swapped once").isEqualTo(2);
    }

    @Test
    void aBrokenVersionIsRefusedAndTheJobKeepsClassifyingWithTheCurrentOne() throws Exception {
        ModelRepos.addVersion(repo, "v3", l -> l.subList(0, 999));
        copyImages(0, 30);
        JobClient job = env().executeAsync("refused");
        try {
            waitFor("30 rows", Duration.ofSeconds(120), () -> predictions().size() >= 30);
            ModelRepos.point(repo, "CURRENT", "v3");
            waitFor("v3 refused", Duration.ofSeconds(60),
                    () -> metric(job.getJobID(), VersionedClassifier.METRIC_VERSIONS_REFUSED) >= 2);
            copyImages(30, 60);
            waitFor("60 rows", Duration.ofSeconds(120), () -> predictions().size() >= 60);
            assertThat(job.getJobStatus().get()).isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }
        List<JsonNode> rows = predictions();
        assertThat(byName(rows)).hasSize(60);
        assertThat(rows).allSatisfy(r -> assertThat(r.get("model_version").asText()).isEqualTo("v1"));
        rows.forEach(ModelSwapITCase::assertRowNamesTheVersionThatClassifiedIt);
    }

    @Test
    void afterATaskManagerFailureImagesAreClassifiedWithTheVersionOfTheirCheckpointOrANewerOne(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        copyImages(0, 20);
        JobClient job = env().executeAsync("failover");
        try {
            waitFor("20 rows", Duration.ofSeconds(120), () -> predictions().size() >= 20);
            ModelRepos.point(repo, "CURRENT", "v2");
            waitFor("v2 running, v1 closed", Duration.ofSeconds(60), () -> openVersions().equals(List.of("v2")));
            copyImages(20, 40);
            // Kill the only TaskManager while those are in flight, then give the job a new one.
            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();
            copyImages(40, 60);
            waitFor("60 rows", Duration.ofSeconds(180), () -> predictions().size() >= 60);
            Thread.sleep(1500);
        } finally {
            job.cancel().get();
        }
        Map<String, JsonNode> rows = byName(predictions());
        assertThat(rows).hasSize(60);
        rows.values().forEach(ModelSwapITCase::assertRowNamesTheVersionThatClassifiedIt);
        List<Path> dev = SharedData.devImages();
        for (int i = 20; i < 60; i++) {
            JsonNode row = rows.get("0-" + dev.get(i).getFileName());
            assertThat(row.get("model_version").asText()).as(row.toString()).isEqualTo("v2");
        }
    }

    @Test
    void aRestoreThatFindsTheCurrentVersionRefusedKeepsTheVersionOfTheSavepoint() throws Exception {
        ModelRepos.addVersion(repo, "v3", l -> l.subList(0, 10));
        ModelRepos.point(repo, "CURRENT", "v2");
        copyImages(0, 10);
        JobClient first = env().executeAsync("before-savepoint");
        String savepoint;
        try {
            waitFor("10 rows", Duration.ofSeconds(120), () -> predictions().size() >= 10);
        } finally {
            savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get();
        }
        waitFor("the first job's watcher stopped", Duration.ofSeconds(60), () -> ModelWatchers.jvmWide().running() == 0);

        // While the job is stopped, someone points CURRENT at a broken version.
        ModelRepos.point(repo, "CURRENT", "v3");
        StreamExecutionEnvironment env = env();
        StreamGraph graph = env.getStreamGraph();
        graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint));
        JobClient second = env.executeAsync(graph);
        try {
            copyImages(10, 30);
            waitFor("30 rows", Duration.ofSeconds(120), () -> predictions().size() >= 30);
            assertThat(metric(second.getJobID(), VersionedClassifier.METRIC_VERSIONS_REFUSED)).isGreaterThanOrEqualTo(1);
        } finally {
            second.cancel().get();
        }
        List<JsonNode> rows = predictions();
        assertThat(byName(rows)).hasSize(30);
        assertThat(rows).allSatisfy(r -> assertThat(r.get("model_version").asText()).isEqualTo("v2"));
        rows.forEach(ModelSwapITCase::assertRowNamesTheVersionThatClassifiedIt);
    }

    /** Sum over the job's subtasks of a numeric metric of the classify operator. */
    private static long metric(JobID job, String name) {
        long sum = 0;
        for (Map.Entry<org.apache.flink.metrics.MetricGroup, Map<String, Metric>> e
                : METRICS.getMetricsByGroup().entrySet()) {
            if (!job.toString().equals(e.getKey().getAllVariables().get("<job_id>"))) {
                continue;
            }
            Metric m = e.getValue().get(name);
            if (m instanceof org.apache.flink.metrics.Counter c) {
                sum += c.getCount();
            } else if (m instanceof Gauge<?> g && g.getValue() instanceof Number n) {
                sum += n.longValue();
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
