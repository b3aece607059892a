package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.dedupe.DedupeFunction;
import io.imageclassifier.source.backfill.enumerator.BackfillMetrics;
import io.imageclassifier.testing.FaultProxy;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backfill on a MiniCluster against fake-gcs-server and the Pub/Sub emulator (issue #14): the
 * bucket's existing objects and the live uploads, with objects both listed and notified, and a
 * TaskManager failure while the listing is under way, give exactly one row per object version; a
 * backfill-only job ends by itself once every listed object's row is committed.
 */
class BackfillITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(clusterConfig())
            .build());

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    /** Small pages, so that the listing of 300 objects takes many requests (and checkpoints). */
    private static final int PAGE_SIZE = 10;

    @TempDir Path output;

    private static Configuration clusterConfig() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofMillis(200));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofSeconds(2));
        return METRICS.addToConfiguration(conf);
    }

    @Test
    void existingAndLiveObjectsWithDuplicatesAndATaskManagerLostMidListingGiveOneRowEach(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        String bucket = "backfill-live";
        Map<String, Blob> expected = new HashMap<>();
        try (Storage storage = EMULATORS.storage();
                // The job reaches GCS through the proxy, which records its list requests.
                FaultProxy gcs = FaultProxy.to(EMULATORS.gcsEndpoint())) {
            storage.create(BucketInfo.of(bucket));
            // 300 objects before the job starts; the last 50 after the subscription exists, so their
            // notifications wait for the job too: listed and notified.
            for (int i = 0; i < 250; i++) {
                putExisting(storage, bucket, i, expected);
            }
            String subscription = subscription(bucket);
            for (int i = 250; i < 300; i++) {
                putExisting(storage, bucket, i, expected);
            }

            JobClient job = start(subscription, "gs://" + bucket + "/photos/", gcs.endpoint(),
                    "--backfill-page-size", Integer.toString(PAGE_SIZE), "--backfill-rate", "15");
            try {
                waitFor("the listing under way, rows committed", () -> gauge(job, BackfillMetrics.LISTED) >= 80
                        && predictions().size() >= 20);

                // 100 live uploads while it backfills, their names spread over the listed range:
                // those after the listing's position are listed as well as notified.
                for (int j = 0; j < 50; j++) {
                    putLive(storage, bucket, j, expected);
                }
                long pagesAtKill = gauge(job, BackfillMetrics.PAGES);
                long completeAtKill = gauge(job, BackfillMetrics.COMPLETE);
                cluster.startTaskManager();
                cluster.terminateTaskManager(0).get();
                cluster.terminateTaskManager(1).get();
                // 300 existing objects take at least 30 pages: the listing was not done.
                assertThat(completeAtKill).isZero();
                assertThat(pagesAtKill).isLessThan(300 / PAGE_SIZE);

                for (int j = 50; j < 100; j++) {
                    putLive(storage, bucket, j, expected);
                }
                waitFor("the listing complete and 400 rows",
                        () -> gauge(job, BackfillMetrics.COMPLETE) == 1 && predictions().size() >= 400);
                settle();

                assertThat(expected).hasSize(400);
                List<JsonNode> rows = predictions();
                assertThat(rows).hasSize(400);
                assertThat(rows.stream().map(r -> r.get("bucket").asText() + "/" + r.get("name").asText() + "#"
                        + r.get("generation").asText())).doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(expected.values().stream()
                                .map(b -> b.getBucket() + "/" + b.getName() + "#" + b.getGeneration()).toList());
                assertThat(deadLetters()).isEmpty();
                // Duplicates did happen: beyond the 50 existing objects with a waiting notification,
                // live uploads were listed too (more than the 300 existing objects were listed).
                assertThat(gauge(job, BackfillMetrics.LISTED)).isGreaterThan(300);
                // The failure did not start the listing over: one request ever asked for the first page
                // (the enumerator lives on the JobManager; the readers' splits since the last checkpoint
                // went back to it, the older ones came back with the readers' state).
                List<String> firstPageRequests = gcs.requests().stream()
                        .filter(r -> r.startsWith("GET /storage/v1/b/" + bucket + "/o?"))
                        .filter(r -> !r.contains("pageToken=")).toList();
                assertThat(firstPageRequests).hasSize(1);
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void aBackfillOnlyJobEndsByItselfOnceEveryListedObjectsRowIsCommitted() throws Exception {
        String bucket = "backfill-only";
        Map<String, Blob> expected = new HashMap<>();
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(bucket));
            for (int i = 0; i < 30; i++) {
                putExisting(storage, bucket, i, expected);
            }
            storage.create(BlobInfo.newBuilder(bucket, "photos/readme.txt").setContentType("text/plain").build(),
                    "not an image".getBytes(StandardCharsets.UTF_8));
            storage.create(BlobInfo.newBuilder(bucket, "elsewhere/outside-the-prefix.JPEG")
                    .setContentType("image/jpeg").build(), Files.readAllBytes(SharedData.devImages().get(0)));
        }

        JobClient job = start(null, "gs://" + bucket + "/photos/", EMULATORS.gcsEndpoint(),
                "--backfill-page-size", "7");
        JobExecutionResult result = job.getJobExecutionResult().get(3, TimeUnit.MINUTES);

        assertThat(result.getJobID()).isEqualTo(job.getJobID());
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.FINISHED);
        // Every output file is committed: no in-progress (hidden) part file is left.
        try (Stream<Path> files = Files.walk(output)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .isNotEmpty().allMatch(n -> !n.startsWith("."));
        }
        List<JsonNode> rows = predictions();
        assertThat(rows).hasSize(30);
        assertThat(rows.stream().map(r -> r.get("name").asText() + "#" + r.get("generation").asText()))
                .containsExactlyInAnyOrderElementsOf(expected.values().stream()
                        .map(b -> b.getName() + "#" + b.getGeneration()).toList());
        assertThat(deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.get("name").asText()).isEqualTo("photos/readme.txt");
            assertThat(d.get("reason").asText()).isEqualTo("unsupported_content_type");
        });
    }

    @Test
    void aSavepointOfTheJobWithoutABackfillRestoresWithOneThatSkipsWhatWasClassifiedBefore(@TempDir Path savepoints)
            throws Exception {
        String bucket = "backfill-added";
        Map<String, Blob> expected = new HashMap<>();
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(bucket));
            for (int i = 0; i < 10; i++) {
                putExisting(storage, bucket, i, expected); // before the subscription: only a listing finds them
            }
            String subscription = subscription(bucket);
            for (int i = 10; i < 20; i++) {
                putExisting(storage, bucket, i, expected);
            }

            JobClient live = start(subscription, null, EMULATORS.gcsEndpoint());
            waitFor("the 10 notified objects' rows", () -> predictions().size() >= 10);
            String savepoint = live.stopWithSavepoint(false, savepoints.toUri().toString(),
                    SavepointFormatType.CANONICAL).get(2, TimeUnit.MINUTES);

            // The upgrade adds the backfill (no allowNonRestoredState): it lists all 20 objects, and the
            // restored dedupe state drops the 10 the job classified before.
            JobClient upgraded = startFrom(savepoint, subscription, "gs://" + bucket + "/photos/",
                    EMULATORS.gcsEndpoint());
            try {
                waitFor("the listing complete and 20 rows",
                        () -> gauge(upgraded, BackfillMetrics.COMPLETE) == 1 && predictions().size() >= 20);
                settle();
                assertThat(gauge(upgraded, BackfillMetrics.LISTED)).isEqualTo(20);
                List<JsonNode> rows = predictions();
                assertThat(rows).hasSize(20);
                assertThat(rows.stream().map(r -> r.get("name").asText() + "#" + r.get("generation").asText()))
                        .containsExactlyInAnyOrderElementsOf(expected.values().stream()
                                .map(b -> b.getName() + "#" + b.getGeneration()).toList());
                assertThat(duplicatesDropped(upgraded)).isGreaterThanOrEqualTo(10);
            } finally {
                upgraded.cancel().get();
            }
        }
    }

    // ---- helpers

    /** Existing object {@code i}: names sort by {@code i}, 10 apart, so live ones fit between them. */
    private static String existingName(int i) {
        return String.format("photos/%04d-%s", i * 10, image(i).getFileName());
    }

    /** Live upload {@code j}: between existing objects {@code 3j} and {@code 3j + 1} in name order. */
    private static String liveName(int j) {
        return String.format("photos/%04d-live-%s", j * 30 + 5, image(j * 7 + 3).getFileName());
    }

    private static Path image(int i) {
        List<Path> images = SharedData.devImages();
        return images.get(i % images.size());
    }

    private static void putExisting(Storage storage, String bucket, int i, Map<String, Blob> uploaded)
            throws IOException {
        put(storage, bucket, existingName(i), image(i), uploaded);
    }

    private static void putLive(Storage storage, String bucket, int j, Map<String, Blob> uploaded)
            throws IOException {
        put(storage, bucket, liveName(j), image(j * 7 + 3), uploaded);
    }

    private static void put(Storage storage, String bucket, String name, Path file, Map<String, Blob> uploaded)
            throws IOException {
        uploaded.put(name, storage.create(BlobInfo.newBuilder(bucket, name).setContentType("image/jpeg").build(),
                Files.readAllBytes(file)));
    }

    private JobClient start(String subscription, String backfill, String gcsEndpoint, String... more)
            throws Exception {
        return startFrom(null, subscription, backfill, gcsEndpoint, more);
    }

    /** The job with a subscription and/or a backfill (either may be null), restored from {@code savepoint} if given. */
    private JobClient startFrom(String savepoint, String subscription, String backfill, String gcsEndpoint,
            String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--gcs-endpoint", gcsEndpoint,
                "--output-dir", output.toString(),
                "--no-console",
                "--checkpoint-interval", "500ms",
                "--parallelism", "2",
                "--fetch-timeout", "20s",
                "--backfill-progress-interval", "1s"));
        if (backfill != null) {
            args.addAll(List.of("--backfill", backfill));
        }
        if (subscription != null) {
            args.addAll(List.of("--subscription", subscription, "--pubsub-endpoint", EMULATORS.pubsubEndpoint(),
                    "--max-ack-extension", "10min"));
        }
        args.addAll(List.of(more));
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new),
                Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        StreamGraph graph = env.getStreamGraph();
        if (savepoint != null) {
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        }
        return env.executeAsync(graph);
    }

    /**
     * A gauge of the backfill's enumerator (on the JobManager) for {@code job}; -1 while there is
     * none. One gauge whatever the restarts: the restored enumerator continues the checkpointed counts.
     */
    private static long gauge(JobClient job, String name) {
        List<Long> values = new ArrayList<>();
        METRICS.getMetricsByGroup().forEach((group, metrics) -> {
            if (job.getJobID().toString().equals(group.getAllVariables().get("<job_id>"))
                    && group.getMetricIdentifier(name).contains("." + BackfillMetrics.GROUP + ".")
                    && metrics.get(name) instanceof Gauge<?> g && g.getValue() instanceof Number n) {
                values.add(n.longValue());
            }
        });
        if (values.size() > 1) {
            throw new AssertionError("more than one " + name + " gauge for the job: " + values);
        }
        return values.isEmpty() ? -1 : values.get(0);
    }

    /** Duplicates the dedupe operator dropped in {@code job}, all its subtasks together. */
    private static long duplicatesDropped(JobClient job) {
        long sum = 0;
        for (var group : METRICS.getMetricsByGroup().entrySet()) {
            if (job.getJobID().toString().equals(group.getKey().getAllVariables().get("<job_id>"))
                    && group.getValue().get(DedupeFunction.METRIC_DUPLICATES_DROPPED) instanceof Counter c) {
                sum += c.getCount();
            }
        }
        return sum;
    }

    private List<JsonNode> predictions() {
        return JsonRows.read(output.resolve("predictions"));
    }

    private List<JsonNode> deadLetters() {
        return JsonRows.read(output.resolve("dead-letter"));
    }

    /** A few more checkpoints: a late duplicate would be committed by then. */
    private static void settle() throws InterruptedException {
        Thread.sleep(2000);
    }

    private static String subscription(String name) throws Exception {
        String full = "projects/" + CloudEmulators.PROJECT + "/subscriptions/" + name;
        EMULATORS.pubsub().createSubscription(full, CloudEmulators.NOTIFICATION_TOPIC);
        return full;
    }

    private static void waitFor(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}
