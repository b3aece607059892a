package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import com.google.pubsub.v1.PubsubMessage;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.fetch.FetchResult;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.source.pubsub.reader.PubSubReaderMetrics;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cloud ingest ({@link ClassifierPipeline#ingest}: Pub/Sub source, notification filter, dedupe,
 * async GCS fetch) on a MiniCluster
 * against the emulators: objects uploaded to fake-gcs-server announce themselves on Pub/Sub in the
 * real notification format, and every image comes out exactly once, every reject as a dead letter,
 * with no message left unacknowledged.
 */
class PubSubIngestITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(clusterConfig())
            .build());

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    private static Configuration clusterConfig() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 20);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        return METRICS.addToConfiguration(conf);
    }

    /** One outcome per output record: {@code ok} with the fetched bytes' hash, or a dead-letter reason. */
    record Outcome(String status, String bucket, String name, String generation, long size, String contentType,
            String timeCreated, String updated, String sha256) {
        static Outcome of(FetchResult r) {
            if (r.failed()) {
                return dead(r.failure());
            }
            return new Outcome("ok", r.ref().bucket(), r.ref().name(), r.ref().version(), r.ref().size(),
                    r.ref().contentType(), r.ref().timeCreated(), r.ref().updated(), PubSubIngestITCase.sha256(r.bytes()));
        }

        static Outcome dead(DeadLetter d) {
            return new Outcome(d.reason(), d.bucket(), d.name(), d.generation(), -1, null, null, null, null);
        }
    }

    @Test
    void everyUploadedImageIsFetchedOnceWithItsMetadataAndEveryMessageIsAcked() throws Exception {
        String bucket = "it-basic";
        String subscription = subscription("it-basic");
        List<Path> images = SharedData.devImages().subList(0, 50);
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(bucket));
            Map<String, Blob> uploaded = upload(storage, bucket, images, "image/jpeg");

            Running job = start(subscription);
            job.awaitOutcomes(50, Duration.ofMinutes(2));
            job.stopWhenAllAcked();

            assertThat(job.outcomes).hasSize(50).allSatisfy(o -> {
                assertThat(o.status()).isEqualTo("ok");
                Blob blob = uploaded.get(o.name());
                assertThat(blob).as(o.name()).isNotNull();
                assertThat(o.bucket()).isEqualTo(bucket);
                assertThat(o.generation()).isEqualTo(Long.toString(blob.getGeneration()));
                assertThat(o.size()).isEqualTo(blob.getSize());
                assertThat(o.contentType()).isEqualTo("image/jpeg");
                assertThat(o.timeCreated()).isNotBlank();
                assertThat(o.updated()).isNotBlank();
                assertThat(o.sha256()).isEqualTo(sha256(Files.readAllBytes(pathOf(images, o.name()))));
            });
        }
        assertThat(EMULATORS.pubsub().drain(subscription, Duration.ofSeconds(3))).isEmpty();
    }

    @Test
    void faultsStillGiveOneResultPerImageAndDeadLetterTheRest() throws Exception {
        runFaultScenario("it-faults", null);
    }

    /**
     * Disabled: the Pub/Sub emulator shipped with the Google Cloud CLI (cloud-pubsub-emulator 0.8.20)
     * throws {@code NoSuchMethodError: InternalStatus.asRuntimeException} in {@code onRstStreamRead}
     * whenever a client cancels a StreamingPull stream (every Subscriber stop does), and afterwards
     * delivers that subscription's new messages to the new streams only after minutes, or not at all.
     * A restart inside one JVM (MiniCluster) hits that; the job itself recovers (readers close, nack
     * nothing, reopen, checkpoints continue: see the reader's log). Enable once the emulator is fixed
     * or the reader gets a unary-Pull mode for emulators.
     */
    @Test
    void aTaskManagerFailureMidStreamStillGivesOneResultPerImage(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        runFaultScenario("it-tm-failure", cluster);
    }

    private void runFaultScenario(String name, MiniCluster clusterToFail) throws Exception {
        String bucket = name;
        String subscription = subscription(name);
        List<Path> images = SharedData.devImages().subList(50, 100);
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(bucket));
            Running job = start(subscription);

            upload(storage, bucket, images.subList(0, 20), "image/jpeg");
            // A deleted object (404), a non-image and a malformed message.
            Blob gone = EMULATORS.createBadInputs(storage, bucket, images.get(0));
            job.awaitOutcomes(10, Duration.ofMinutes(2));

            if (clusterToFail != null) {
                // The TaskManagers running the job die mid-stream (both: slot placement is not ours to
                // pick); the job restarts from the last checkpoint on a fresh one.
                clusterToFail.startTaskManager();
                clusterToFail.terminateTaskManager(0).get();
                clusterToFail.terminateTaskManager(1).get();
            }

            Map<String, Blob> second = upload(storage, bucket, images.subList(20, 50), "image/jpeg");
            // Duplicated notifications (a publisher retry, a second notification config): same object version.
            for (Blob blob : List.copyOf(second.values()).subList(0, 5)) {
                EMULATORS.publishFinalize(blob);
            }
            job.awaitOutcomes(53, Duration.ofMinutes(2));
            job.stopWhenAllAcked();

            Map<String, Long> byStatus = new HashMap<>();
            job.outcomes.forEach(o -> byStatus.merge(o.status(), 1L, Long::sum));
            assertThat(byStatus).containsOnly(Map.entry("ok", 50L), Map.entry("not_found", 1L),
                    Map.entry("unsupported_content_type", 1L), Map.entry("malformed_message", 1L));
            assertThat(job.outcomes.stream().filter(o -> o.status().equals("ok")).map(Outcome::name).distinct())
                    .hasSize(50);
            assertThat(job.outcomes).filteredOn(o -> o.status().equals("not_found"))
                    .singleElement().satisfies(o -> {
                        assertThat(o.name()).isEqualTo("gone.jpg");
                        assertThat(o.generation()).isEqualTo(Long.toString(gone.getGeneration()));
                    });
            assertThat(job.outcomes).filteredOn(o -> o.status().equals("malformed_message"))
                    .singleElement().extracting(Outcome::name).isEqualTo("broken.jpg");
            assertThat(job.outcomes).filteredOn(o -> o.status().equals("unsupported_content_type"))
                    .singleElement().extracting(Outcome::name).isEqualTo("notes.txt");
        }
        // Longer than the 10 s ack deadline: a message leased by a dead reader and never acked shows up.
        List<PubsubMessage> leftOver = EMULATORS.pubsub().drain(subscription, Duration.ofSeconds(12));
        assertThat(leftOver).isEmpty();
    }

    // ---- helpers

    private static String subscription(String name) throws Exception {
        String full = "projects/" + CloudEmulators.PROJECT + "/subscriptions/" + name;
        EMULATORS.pubsub().createSubscription(full, CloudEmulators.NOTIFICATION_TOPIC);
        return full;
    }

    private static Map<String, Blob> upload(Storage storage, String bucket, List<Path> files, String contentType)
            throws Exception {
        Map<String, Blob> blobs = new HashMap<>();
        for (Path file : files) {
            String name = "uploads/" + file.getFileName();
            blobs.put(name, storage.create(BlobInfo.newBuilder(bucket, name).setContentType(contentType).build(),
                    Files.readAllBytes(file)));
        }
        return blobs;
    }

    private static Path pathOf(List<Path> images, String name) {
        return images.stream().filter(p -> name.endsWith("/" + p.getFileName())).findFirst().orElseThrow();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Running start(String subscription) throws Exception {
        JobConfig config = JobConfigParser.parse(new String[] {
            "--subscription", subscription,
            "--pubsub-endpoint", EMULATORS.pubsubEndpoint(),
            "--gcs-endpoint", EMULATORS.gcsEndpoint(),
            "--checkpoint-interval", "500ms",
            "--parallelism", "2",
            "--fetch-timeout", "20s",
            "--max-ack-extension", "10min",
        }, Map.of()).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(500);
        ClassifierPipeline.Ingest ingest = ClassifierPipeline.ingest(env, config);
        DataStream<Outcome> outcomes = ingest.fetched().map(Outcome::of).name("fetched outcomes");
        for (DataStream<DeadLetter> deadLetters : ingest.deadLetters()) {
            outcomes = outcomes.union(deadLetters.map(Outcome::dead).name("dead-letter outcomes"));
        }
        CloseableIterator<Outcome> results = outcomes.collectAsync();
        JobClient client = env.executeAsync("pubsub-ingest-it");
        return new Running(client, results);
    }

    /** A running job and what its exactly-once collect sink has returned so far. */
    private static final class Running {
        final JobClient client;
        final CloseableIterator<Outcome> results;
        final List<Outcome> outcomes = new ArrayList<>();
        final ConcurrentLinkedQueue<Outcome> incoming = new ConcurrentLinkedQueue<>();
        final Thread reader;

        Running(JobClient client, CloseableIterator<Outcome> results) {
            this.client = client;
            this.results = results;
            this.reader = new Thread(() -> {
                try {
                    while (results.hasNext()) {
                        incoming.add(results.next());
                    }
                } catch (RuntimeException e) {
                    // the job was cancelled
                }
            }, "collect-reader");
            reader.setDaemon(true);
            reader.start();
        }

        void awaitOutcomes(int n, Duration timeout) throws InterruptedException {
            waitFor(() -> {
                for (Outcome o = incoming.poll(); o != null; o = incoming.poll()) {
                    outcomes.add(o);
                }
                return outcomes.size() >= n;
            }, timeout, () -> "expected " + n + " outcomes, got " + outcomes.size() + ": " + outcomes);
        }

        /** Waits until every reader's pending-ack gauge reads 0 and nothing new arrives, then cancels. */
        void stopWhenAllAcked() throws Exception {
            JobID id = client.getJobID();
            waitFor(() -> {
                List<Integer> pending = new ArrayList<>();
                METRICS.getMetricsByGroup().forEach((group, metrics) -> {
                    Metric gauge = metrics.get(PubSubReaderMetrics.PENDING_ACKS);
                    if (gauge != null && id.toString().equals(group.getAllVariables().get("<job_id>"))) {
                        pending.add(((Number) ((Gauge<?>) gauge).getValue()).intValue());
                    }
                });
                return !pending.isEmpty() && pending.stream().allMatch(v -> v == 0);
            }, Duration.ofSeconds(30), () -> "messages still waiting for a checkpoint");
            Thread.sleep(1500); // a few more checkpoints: anything late would be visible
            for (Outcome o = incoming.poll(); o != null; o = incoming.poll()) {
                outcomes.add(o);
            }
            client.cancel().get();
            results.close();
        }

        private static void waitFor(BooleanSupplier condition, Duration timeout,
                java.util.function.Supplier<String> failure) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (!condition.getAsBoolean()) {
                if (System.nanoTime() > end) {
                    throw new AssertionError(failure.get());
                }
                Thread.sleep(100);
            }
        }
    }
}
