package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.imageclassifier.classify.ImageClassifier;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.FaultProxy;
import io.imageclassifier.testing.JobProgress;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole cloud graph on a MiniCluster against the real emulators: images uploaded to
 * fake-gcs-server, whose object-finalize notifications go to the Pub/Sub emulator, are classified by
 * the job and land as JSON prediction rows; faults land in dead-letter, nothing stays unacked.
 */
class CloudPipelineITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(restartQuickly())
            .build());

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    /** What the classifier says about each dev image, computed directly (no job) as the reference. */
    private static Map<String, String> expectedLabels;

    @TempDir Path output;

    private static Configuration restartQuickly() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofMillis(200));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofSeconds(2));
        return conf;
    }

    @BeforeAll
    static void classifyDirectly() throws Exception {
        expectedLabels = new HashMap<>();
        try (ImageClassifier classifier = ImageClassifier.open(SharedData.modelConfig())) {
            for (Path image : SharedData.devImages().subList(0, 100)) {
                expectedLabels.put(image.getFileName().toString(), classifier.classify(Files.readAllBytes(image)).label());
            }
        }
    }

    @Test
    void fiftyUploadsBecomeFiftyRowsWithTheirObjectMetadataAndLabelsFromOneRequestEach(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        String bucket = "cloud-basic";
        String subscription = subscription(bucket);
        try (Storage storage = EMULATORS.storage(); FaultProxy gcs = FaultProxy.to(EMULATORS.gcsEndpoint())) {
            storage.create(BucketInfo.of(bucket));
            JobClient job = start(subscription, gcs.endpoint());
            try {
                Map<String, Blob> blobs = upload(storage, bucket, SharedData.devImages().subList(0, 50));
                waitFor("50 prediction rows", () -> predictions().size() >= 50);
                settle(cluster, job);
                Map<String, JsonNode> rows = byName(predictions());
                assertThat(predictions()).hasSize(50);
                assertThat(rows.keySet()).isEqualTo(blobs.keySet());
                for (Blob blob : blobs.values()) {
                    JsonNode row = rows.get(blob.getName());
                    assertThat(row.get("bucket").asText()).isEqualTo(bucket);
                    assertThat(row.get("size").asText()).isEqualTo(Long.toString(blob.getSize()));
                    assertThat(row.get("contentType").asText()).isEqualTo("image/jpeg");
                    // The row keeps the notification's microseconds; the Java client rounds to millis.
                    assertThat(millis(row.get("timeCreated"))).isEqualTo(blob.getCreateTimeOffsetDateTime().toInstant());
                    assertThat(millis(row.get("updated"))).isEqualTo(blob.getUpdateTimeOffsetDateTime().toInstant());
                    assertThat(row.get("generation").asText()).isEqualTo(Long.toString(blob.getGeneration()));
                    assertThat(row.get("label").asText()).as(blob.getName())
                            .isEqualTo(expectedLabels.get(fileName(blob.getName())));
                    assertThat(row.get("source").asText()).isEqualTo("gcs");
                }
                assertThat(deadLetters()).isEmpty();
                // One GET per object, of exactly the notified generation: no metadata request first.
                assertThat(gcs.requests()).containsExactlyInAnyOrderElementsOf(blobs.values().stream()
                        .map(b -> "GET /download/storage/v1/b/" + bucket + "/o/uploads%2F" + fileName(b.getName())
                                + "?alt=media&generation=" + b.getGeneration())
                        .toList());
            } finally {
                job.cancel().get();
            }
        }
        assertThat(EMULATORS.pubsub().drain(subscription, Duration.ofSeconds(3))).isEmpty();
    }

    @Test
    void withDuplicatesMissingObjectsBadMessagesAndATaskManagerFailureEachImageIsStillOneRow(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        String bucket = "cloud-faults";
        String subscription = subscription(bucket);
        List<Path> images = SharedData.devImages().subList(50, 100);
        try (Storage storage = EMULATORS.storage(); FaultProxy gcs = FaultProxy.to(EMULATORS.gcsEndpoint())) {
            storage.create(BucketInfo.of(bucket));
            JobClient job = start(subscription, gcs.endpoint());
            try {
                Map<String, Blob> blobs = new HashMap<>(upload(storage, bucket, images.subList(0, 10)));
                waitFor("the first 10 rows", () -> predictions().size() >= 10);

                // Work in flight when the TaskManagers die, by construction: Cloud Storage stalls, so
                // the next uploads (and the deleted object) wait in the fetch operator's retry queue; a
                // checkpoint completes with them in it, and no row or dead letter of theirs exists
                // (the malformed message and the non-image are rejected before any fetch).
                gcs.stallResponses(100);
                Map<String, Blob> inFlight = upload(storage, bucket, images.subList(10, 20));
                blobs.putAll(inFlight);
                Blob gone = EMULATORS.createBadInputs(storage, bucket, images.get(0));
                waitFor("the dead letters decided before any fetch", () -> deadLetters().size() >= 2);
                JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, Duration.ofMinutes(1));
                assertThat(predictions()).hasSize(10);
                assertThat(names(predictions())).doesNotContainAnyElementsOf(inFlight.keySet());
                assertThat(names(deadLetters())).containsExactlyInAnyOrder("broken.jpg", "notes.txt");

                // Both TaskManagers die mid-stream; the job restarts from its last checkpoint on a new one.
                cluster.startTaskManager();
                cluster.terminateTaskManager(0).get();
                cluster.terminateTaskManager(1).get();
                gcs.heal();

                Map<String, Blob> second = upload(storage, bucket, images.subList(20, 50));
                blobs.putAll(second);
                for (Blob blob : List.copyOf(second.values()).subList(0, 5)) {
                    EMULATORS.publishFinalize(blob); // a redelivered / duplicated notification
                }
                waitFor("50 prediction rows and 3 dead letters",
                        () -> predictions().size() >= 50 && deadLetters().size() >= 3);
                settle(cluster, job);

                Map<String, Long> perImage = predictions().stream()
                        .collect(Collectors.groupingBy(r -> r.get("name").asText(), Collectors.counting()));
                assertThat(perImage.keySet()).isEqualTo(blobs.keySet());
                assertThat(perImage.values()).allMatch(n -> n == 1);
                assertThat(predictions()).allSatisfy(r -> assertThat(r.get("label").asText())
                        .isEqualTo(expectedLabels.get(fileName(r.get("name").asText()))));

                Map<String, JsonNode> dead = byName(deadLetters());
                assertThat(deadLetters()).hasSize(3);
                assertThat(dead.get("gone.jpg").get("reason").asText()).isEqualTo("not_found");
                assertThat(dead.get("gone.jpg").get("generation").asText()).isEqualTo(Long.toString(gone.getGeneration()));
                assertThat(dead.get("notes.txt").get("reason").asText()).isEqualTo("unsupported_content_type");
                assertThat(dead.get("broken.jpg").get("reason").asText()).isEqualTo("malformed_message");
                assertThat(dead.get("broken.jpg").get("message_id").asText()).isNotBlank();
            } finally {
                job.cancel().get();
            }
        }
        // Longer than the 10 s ack deadline: a message leased by a dead reader and never acked would show up.
        assertThat(EMULATORS.pubsub().drain(subscription, Duration.ofSeconds(12))).isEmpty();
    }

    // ---- helpers

    private JobClient start(String subscription, String gcsEndpoint) throws Exception {
        JobConfig config = JobConfigParser.parse(new String[] {
            "--subscription", subscription,
            "--pubsub-endpoint", EMULATORS.pubsubEndpoint(),
            "--gcs-endpoint", gcsEndpoint,
            "--output-dir", output.toString(),
            "--no-console",
            "--checkpoint-interval", "500ms",
            "--parallelism", "2",
            "--fetch-timeout", "5s",
            "--fetch-max-backoff", "1s",
            "--max-ack-extension", "10min",
        }, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env.executeAsync("cloud-pipeline-it");
    }

    private List<JsonNode> predictions() {
        return JsonRows.read(output.resolve("predictions"));
    }

    private List<JsonNode> deadLetters() {
        return JsonRows.read(output.resolve("dead-letter"));
    }

    /**
     * Two more completed checkpoints: whatever the job emitted before (a late duplicate, a late
     * dead letter) is committed by then.
     */
    private static void settle(MiniCluster cluster, JobClient job) throws Exception {
        JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, Duration.ofMinutes(1));
    }

    private static List<String> names(List<JsonNode> rows) {
        return rows.stream().map(r -> r.get("name").asText()).toList();
    }

    private static Map<String, JsonNode> byName(List<JsonNode> rows) {
        return rows.stream().collect(Collectors.toMap(r -> r.get("name").asText(), Function.identity(), (a, b) -> a));
    }

    private static Instant millis(JsonNode rfc3339) {
        return Instant.parse(rfc3339.asText()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    private static String fileName(String objectName) {
        return objectName.substring(objectName.lastIndexOf('/') + 1);
    }

    private static String subscription(String name) throws Exception {
        String full = "projects/" + CloudEmulators.PROJECT + "/subscriptions/" + name;
        EMULATORS.pubsub().createSubscription(full, CloudEmulators.NOTIFICATION_TOPIC);
        return full;
    }

    private static Map<String, Blob> upload(Storage storage, String bucket, List<Path> files) throws Exception {
        Map<String, Blob> blobs = new HashMap<>();
        for (Path file : files) {
            String name = "uploads/" + file.getFileName();
            blobs.put(name, storage.create(BlobInfo.newBuilder(bucket, name).setContentType("image/jpeg").build(),
                    Files.readAllBytes(file)));
        }
        return blobs;
    }

    private static void waitFor(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}
