package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.dedupe.DedupeFunction;
import io.imageclassifier.replay.ReplayDeadLetters;
import io.imageclassifier.testing.FaultProxy;
import io.imageclassifier.testing.JobProgress;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Cloud Storage rows of the fault matrix (issue #11): the cloud graph on a MiniCluster against
 * fake-gcs-server and the Pub/Sub emulator, with a {@link FaultProxy} between the job and Cloud
 * Storage, and the replay of dead letters. Each test asserts the exact set of rows and dead letters
 * after two checkpoints completed past the last expected output (nothing late or duplicated can
 * still be on its way).
 */
class GcsFaultMatrixITCase {

    /** How long each outage lasts. */
    private static final Duration OUTAGE = Duration.ofSeconds(60);
    private static final Duration WAIT = Duration.ofMinutes(3);

    private static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(restartQuickly())
            .build());

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    @TempDir Path output;

    private static Configuration restartQuickly() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofMillis(200));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofSeconds(2));
        return METRICS.addToConfiguration(conf);
    }

    /** A fault the proxy injects, and its name for messages. */
    private record Fault(String name, FaultAction start) {}

    @FunctionalInterface
    private interface FaultAction {
        void apply(FaultProxy proxy) throws Exception;
    }

    @Test
    void refusedConnections503sAndStalledReadsForAMinuteDelayRowsButLoseNone(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String bucket = "faults-outage";
        String subscription = subscription(bucket);
        List<Path> images = SharedData.devImages().subList(0, 20);
        List<Fault> faults = List.of(
                new Fault("connections refused", FaultProxy::refuseConnections),
                new Fault("HTTP 503", p -> p.answer(503, "{\"error\":{\"code\":503,\"message\":\"Backend Error\"}}")),
                new Fault("stalled reads", p -> p.stallResponses(100)));
        try (Storage storage = EMULATORS.storage(); FaultProxy gcs = FaultProxy.to(EMULATORS.gcsEndpoint())) {
            storage.create(BucketInfo.of(bucket));
            JobClient job = start(subscription, gcs.endpoint(), "5min");
            try {
                Map<String, Blob> blobs = new LinkedHashMap<>(upload(storage, bucket, images.subList(0, 5)));
                JobProgress.await("the first 5 rows", WAIT, () -> predictions().size() >= 5);
                for (int i = 0; i < faults.size(); i++) {
                    Fault fault = faults.get(i);
                    fault.start().apply(gcs);
                    Map<String, Blob> during = upload(storage, bucket, images.subList(5 + 5 * i, 10 + 5 * i));
                    blobs.putAll(during);
                    // For the whole outage: none of these objects becomes a row or a dead letter.
                    long end = System.nanoTime() + OUTAGE.toNanos();
                    while (System.nanoTime() < end) {
                        assertThat(names(predictions())).as(fault.name()).doesNotContainAnyElementsOf(during.keySet());
                        assertThat(deadLetters()).as(fault.name()).isEmpty();
                        Thread.sleep(500);
                    }
                    gcs.heal();
                    int expected = blobs.size();
                    JobProgress.await(expected + " rows after " + fault.name(), WAIT,
                            () -> predictions().size() >= expected);
                }
                JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, WAIT);

                assertThat(countsByName(predictions())).isEqualTo(onceEach(blobs.keySet()));
                assertThat(deadLetters()).isEmpty();
            } finally {
                job.cancel().get();
            }
        }
        assertThat(EMULATORS.pubsub().drain(subscription, Duration.ofSeconds(3))).isEmpty();
    }

    /**
     * The budget row, and replay: the dead letters are replayed through the running job
     * ({@link ReplayDeadLetters}, what scripts/replay-dead-letters.sh runs): one row each; replaying
     * the same files again reaches the job (dedupe drops 4 more) and adds no row.
     */
    @Test
    void aStallPastTheRetryBudgetMakesRetryableDeadLettersAndTheirReplayOneRowEach(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        String bucket = "faults-budget";
        String subscription = subscription(bucket);
        List<Path> images = SharedData.devImages().subList(20, 27);
        try (Storage storage = EMULATORS.storage(); FaultProxy gcs = FaultProxy.to(EMULATORS.gcsEndpoint())) {
            storage.create(BucketInfo.of(bucket));
            JobClient job = start(subscription, gcs.endpoint(), "12s");
            try {
                Map<String, Blob> fine = upload(storage, bucket, images.subList(0, 3));
                JobProgress.await("the first 3 rows", WAIT, () -> predictions().size() >= 3);
                gcs.stallResponses(100);
                Map<String, Blob> stalled = upload(storage, bucket, images.subList(3, 7));
                JobProgress.await("4 dead letters", WAIT, () -> deadLetters().size() >= 4);
                gcs.heal();
                JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, WAIT);

                assertThat(countsByName(predictions())).isEqualTo(onceEach(fine.keySet()));
                List<JsonNode> dead = deadLetters();
                assertThat(countsByName(dead)).isEqualTo(onceEach(stalled.keySet()));
                assertThat(dead).allSatisfy(d -> {
                    assertThat(d.get("reason").asText()).isEqualTo("fetch_timeout");
                    assertThat(d.get("retryable").asBoolean()).isTrue();
                    assertThat(d.get("stage").asText()).isEqualTo("fetch");
                    assertThat(d.get("message").asText()).contains("retry budget of PT12S");
                    assertThat(d.get("generation").asText())
                            .isEqualTo(Long.toString(stalled.get(d.get("name").asText()).getGeneration()));
                });

                String[] replay = {
                    "--dead-letters", output.resolve("dead-letter").toString(),
                    "--topic", CloudEmulators.NOTIFICATION_TOPIC,
                    "--pubsub-endpoint", EMULATORS.pubsubEndpoint(),
                    "--gcs-endpoint", EMULATORS.gcsEndpoint(),
                };
                assertThat(ReplayDeadLetters.run(replay, System.out).published()).isEqualTo(4);
                JobProgress.await("7 rows after the replay", WAIT, () -> predictions().size() >= 7);
                JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, WAIT);
                Map<String, Blob> all = new LinkedHashMap<>(fine);
                all.putAll(stalled);
                assertThat(countsByName(predictions())).isEqualTo(onceEach(all.keySet()));
                assertThat(predictions()).allSatisfy(r -> {
                    assertThat(r.get("source").asText()).isEqualTo("gcs");
                    assertThat(r.get("generation").asText())
                            .isEqualTo(Long.toString(all.get(r.get("name").asText()).getGeneration()));
                });

                long dropped = duplicatesDropped(job);
                assertThat(ReplayDeadLetters.run(replay, System.out).published()).isEqualTo(4);
                JobProgress.await("the second replay reaching dedupe", WAIT, () -> duplicatesDropped(job) >= dropped + 4);
                JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, WAIT);
                assertThat(countsByName(predictions())).isEqualTo(onceEach(all.keySet()));
                assertThat(deadLetters()).hasSize(4);
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void a403FailsTheJobNamingBucketAndRoleAndAfterTheFixEveryImageIsOneRow(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String bucket = "faults-forbidden";
        String subscription = subscription(bucket);
        List<Path> images = SharedData.devImages().subList(30, 34);
        try (Storage storage = EMULATORS.storage(); FaultProxy gcs = FaultProxy.to(EMULATORS.gcsEndpoint())) {
            storage.create(BucketInfo.of(bucket));
            JobClient job = start(subscription, gcs.endpoint(), "5min");
            try {
                gcs.answer(403, "{\"error\":{\"code\":403,\"message\":\"job@p.iam.gserviceaccount.com does not have "
                        + "storage.objects.get access to the Google Cloud Storage object.\"}}");
                Map<String, Blob> blobs = upload(storage, bucket, images);
                JobProgress.await("a job failure naming the role", WAIT, () -> failures(cluster, job).stream()
                        .anyMatch(f -> f.contains(StoragePermissionException.READ_ROLE)));
                String failure = failures(cluster, job).stream()
                        .filter(f -> f.contains(StoragePermissionException.READ_ROLE)).findFirst().orElseThrow();
                assertThat(failure).contains("StoragePermissionException").contains("HTTP 403")
                        .contains("gs://" + bucket).contains("does not have storage.objects.get access");
                assertThat(deadLetters()).isEmpty();
                assertThat(predictions()).isEmpty();

                gcs.heal();
                JobProgress.await("4 rows after the fix", WAIT, () -> predictions().size() >= 4);
                JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, WAIT);

                assertThat(countsByName(predictions())).isEqualTo(onceEach(blobs.keySet()));
                assertThat(deadLetters()).isEmpty();
            } finally {
                job.cancel().get();
            }
        }
        assertThat(EMULATORS.pubsub().drain(subscription, Duration.ofSeconds(3))).isEmpty();
    }

    // ---- helpers

    private JobClient start(String subscription, String gcsEndpoint, String retryBudget) throws Exception {
        JobConfig config = JobConfigParser.parse(new String[] {
            "--subscription", subscription,
            "--pubsub-endpoint", EMULATORS.pubsubEndpoint(),
            "--gcs-endpoint", gcsEndpoint,
            "--output-dir", output.toString(),
            "--no-console",
            "--checkpoint-interval", "500ms",
            "--parallelism", "2",
            "--fetch-timeout", "3s",
            "--fetch-retry-budget", retryBudget,
            "--fetch-initial-backoff", "200ms",
            "--fetch-max-backoff", "2s",
            "--max-ack-extension", "10min",
        }, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env.executeAsync("gcs-fault-matrix-it");
    }

    /** Sum of the dedupe operators' {@code duplicatesDropped} counters of {@code job}. */
    private static long duplicatesDropped(JobClient job) {
        long[] sum = {0};
        METRICS.getMetricsByGroup().forEach((group, metrics) -> {
            Metric counter = metrics.get(DedupeFunction.METRIC_DUPLICATES_DROPPED);
            if (counter instanceof Counter c
                    && job.getJobID().toString().equals(group.getAllVariables().get("<job_id>"))) {
                sum[0] += c.getCount();
            }
        });
        return sum[0];
    }

    private static List<String> failures(MiniCluster cluster, JobClient job) {
        try {
            return JobProgress.failures(cluster, job.getJobID());
        } catch (Exception e) {
            return List.of();
        }
    }

    private List<JsonNode> predictions() {
        return JsonRows.read(output.resolve("predictions"));
    }

    private List<JsonNode> deadLetters() {
        return JsonRows.read(output.resolve("dead-letter"));
    }

    private static List<String> names(List<JsonNode> rows) {
        return rows.stream().map(r -> r.get("name").asText()).toList();
    }

    private static Map<String, Long> countsByName(List<JsonNode> rows) {
        return rows.stream().collect(Collectors.groupingBy(r -> r.get("name").asText(), Collectors.counting()));
    }

    private static Map<String, Long> onceEach(Set<String> names) {
        return names.stream().collect(Collectors.toMap(Function.identity(), n -> 1L));
    }

    private static String subscription(String name) throws Exception {
        String full = "projects/" + CloudEmulators.PROJECT + "/subscriptions/" + name;
        EMULATORS.pubsub().createSubscription(full, CloudEmulators.NOTIFICATION_TOPIC);
        return full;
    }

    private static Map<String, Blob> upload(Storage storage, String bucket, List<Path> files) throws Exception {
        Map<String, Blob> blobs = new LinkedHashMap<>();
        for (Path file : files) {
            String name = "uploads/" + file.getFileName();
            blobs.put(name, storage.create(BlobInfo.newBuilder(bucket, name).setContentType("image/jpeg").build(),
                    Files.readAllBytes(file)));
        }
        return blobs;
    }
}
