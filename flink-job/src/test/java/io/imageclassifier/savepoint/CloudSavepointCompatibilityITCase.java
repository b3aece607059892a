package io.imageclassifier.savepoint;

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
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cloud-mode half of the state contract (see {@link LocalSavepointCompatibilityITCase}).
 * {@code savepoints/cloud-v1/} was taken while the fetches of the objects in its {@code inputs.tsv}
 * hung (GCS answered nothing), so it holds them in the async fetch's in-flight buffer (uid
 * {@code gcs-fetch}), their dedupe marks, and the Pub/Sub source's splits. Restored with the current
 * build against emulators where those object versions do not exist, each in-flight reference must
 * come out once, as a {@code not_found} dead letter naming its exact generation; a redelivered
 * notification of one must be dropped by dedupe; new uploads must get one row each. The restore
 * runs at parallelism 3, the savepoint was taken at 2: a rescale hands the fetch's in-flight
 * references out round-robin (operator state), so whatever follows the fetch must not assume they
 * arrive on the subtask that owns their key (a keyed classify failed here, in a restart loop).
 */
class CloudSavepointCompatibilityITCase {
    static final String CLOUD_V1 = "cloud-v1";
    static final String BUCKET = "savepoint-compat";
    /** The source's split names its subscription: the restored job reads this one. */
    static final String SUBSCRIPTION = "projects/" + CloudEmulators.PROJECT + "/subscriptions/savepoint-compat";
    static final int IN_FLIGHT = 4;
    static final int WRITTEN_AT_PARALLELISM = 2;
    static final int RESTORED_AT_PARALLELISM = 3;

    private static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(RESTORED_AT_PARALLELISM)
                    .setConfiguration(METRICS.addToConfiguration(new Configuration()))
                    .build());

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    @TempDir Path output;
    @TempDir Path scratch;

    @Test
    void theCloudModeSavepointOfTheFirstReleaseRestoresItsInFlightFetchesAndDedupeMarks() throws Exception {
        Path savepoint = SavepointFiles.copyOf(CLOUD_V1, scratch);
        List<InFlight> inFlight = InFlight.readAll(savepoint.resolve("inputs.tsv"));
        assertThat(inFlight).hasSize(IN_FLIGHT);
        EMULATORS.pubsub().createSubscription(SUBSCRIPTION, CloudEmulators.NOTIFICATION_TOPIC);
        List<Path> fresh = SharedData.devImages().subList(20, 22);

        JobClient job;
        long dropped;
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(BUCKET));
            job = start(config(EMULATORS.gcsEndpoint(), RESTORED_AT_PARALLELISM), savepoint);
            try {
                SavepointFiles.waitFor(job, IN_FLIGHT + " dead letters", () -> deadLetters().size() >= IN_FLIGHT);
                for (InFlight f : inFlight) {
                    f.publishFinalize(); // redelivered: dedupe remembers it
                }
                for (Path image : fresh) {
                    storage.create(BlobInfo.newBuilder(BUCKET, "new/" + image.getFileName())
                            .setContentType("image/jpeg").build(), Files.readAllBytes(image));
                }
                SavepointFiles.waitFor(job, "rows of the new uploads", () -> predictions().size() >= fresh.size());
                SavepointFiles.waitFor(job, "redelivered notifications dropped or fetched",
                        () -> duplicatesDropped(job) + deadLetters().size() >= 2L * IN_FLIGHT);
                // Read while the job runs: the reporter forgets a subtask's metrics when it closes.
                dropped = duplicatesDropped(job);
            } finally {
                SavepointFiles.cancel(job);
            }
        }

        assertThat(deadLetters()).extracting(r -> r.get("bucket").asText() + "/" + r.get("name").asText() + "#"
                        + r.get("generation").asText() + " " + r.get("reason").asText())
                .as("each in-flight fetch of the savepoint, once")
                .containsExactlyInAnyOrderElementsOf(inFlight.stream().map(f -> f.key() + " not_found").toList());
        assertThat(dropped).as("redelivered notifications dropped by the restored dedupe")
                .isEqualTo(IN_FLIGHT);
        assertThat(predictions()).extracting(r -> r.get("name").asText())
                .containsExactlyInAnyOrderElementsOf(fresh.stream().map(p -> "new/" + p.getFileName()).toList());
    }

    /**
     * Writes {@code savepoints/<savepoint.name>/} (default cloud-v1; never overwrite a committed
     * one): the job's GCS endpoint accepts connections and never answers, {@link #IN_FLIGHT}
     * objects are uploaded to the emulator, and once their references are all inside the async
     * fetch the job stops with a canonical savepoint.
     */
    @Test
    @EnabledIfSystemProperty(named = "savepoint.write", matches = "true")
    void writeSavepointOfThisBuild() throws Exception {
        String name = SavepointFiles.newName(CLOUD_V1);
        EMULATORS.pubsub().createSubscription(SUBSCRIPTION, CloudEmulators.NOTIFICATION_TOPIC);
        List<InFlight> uploaded = new ArrayList<>();
        try (Storage storage = EMULATORS.storage(); Silent gcs = new Silent()) {
            storage.create(BucketInfo.of(BUCKET));
            JobClient job = start(config(gcs.endpoint(), WRITTEN_AT_PARALLELISM), null);
            for (Path image : SharedData.devImages().subList(10, 10 + IN_FLIGHT)) {
                Blob blob = storage.create(BlobInfo.newBuilder(BUCKET, "uploads/" + image.getFileName())
                        .setContentType("image/jpeg").build(), Files.readAllBytes(image));
                uploaded.add(InFlight.of(blob));
            }
            SavepointFiles.waitFor(job, "every reference inside the fetch",
                    () -> gcs.accepted() > 0 && dedupeOut(job) >= IN_FLIGHT);
            String pointer = job.stopWithSavepoint(false, scratch.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get();
            Path target = SavepointFiles.commit(pointer, name,
                    List.of(output));
            Files.writeString(target.resolve("inputs.tsv"), uploaded.stream().map(InFlight::line)
                    .collect(Collectors.joining("\n", "", "\n")));
        }
    }

    private JobClient start(JobConfig config, Path savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        StreamGraph graph = env.getStreamGraph();
        if (savepoint != null) {
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint.toUri().toString(), false));
        }
        return env.executeAsync(graph);
    }

    private JobConfig config(String gcsEndpoint, int parallelism) {
        return JobConfigParser.parse(new String[] {
            "--subscription", SUBSCRIPTION,
            "--pubsub-endpoint", EMULATORS.pubsubEndpoint(),
            "--gcs-endpoint", gcsEndpoint,
            "--output-dir", output.toString(),
            "--no-console",
            "--checkpoint-interval", "1s",
            "--parallelism", String.valueOf(parallelism),
            "--fetch-timeout", "120s",
            "--dedupe-ttl", SavepointFiles.DEDUPE_TTL,
        }, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
    }

    private List<JsonNode> predictions() {
        return JsonRows.read(output.resolve("predictions"));
    }

    private List<JsonNode> deadLetters() {
        return JsonRows.read(output.resolve("dead-letter"));
    }

    private static long duplicatesDropped(JobClient job) {
        return SavepointFiles.counter(METRICS, job.getJobID(), DedupeFunction.METRIC_DUPLICATES_DROPPED);
    }

    /** Records the dedupe operator passed on (into the async fetch, chained behind it). */
    private static long dedupeOut(JobClient job) {
        long sum = 0;
        for (var group : METRICS.getMetricsByGroup().entrySet()) {
            Map<String, String> vars = group.getKey().getAllVariables();
            if (job.getJobID().toString().equals(vars.get("<job_id>")) && "dedupe".equals(vars.get("<operator_name>"))
                    && group.getValue().get("numRecordsOut") instanceof Counter c) {
                sum += c.getCount();
            }
        }
        return sum;
    }

    /** An object version the savepoint's job was fetching. */
    record InFlight(String bucket, String name, long generation, long size, String created) {
        static InFlight of(Blob blob) {
            return new InFlight(blob.getBucket(), blob.getName(), blob.getGeneration(), blob.getSize(),
                    blob.getCreateTimeOffsetDateTime().toString());
        }

        static List<InFlight> readAll(Path tsv) throws IOException {
            return Files.readAllLines(tsv).stream().filter(l -> !l.isBlank()).map(l -> {
                String[] f = l.split("\t");
                return new InFlight(f[0], f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), f[4]);
            }).toList();
        }

        String line() {
            return String.join("\t", bucket, name, Long.toString(generation), Long.toString(size), created);
        }

        String key() {
            return bucket + "/" + name + "#" + generation;
        }

        /** Its notification again, as GCS would redeliver it. */
        void publishFinalize() throws Exception {
            String resource = String.format("{\"kind\":\"storage#object\",\"name\":\"%s\",\"bucket\":\"%s\","
                    + "\"generation\":\"%d\",\"contentType\":\"image/jpeg\",\"size\":\"%d\",\"timeCreated\":\"%s\","
                    + "\"updated\":\"%s\"}", name, bucket, generation, size, created, created);
            EMULATORS.pubsub().publish(CloudEmulators.NOTIFICATION_TOPIC, resource.getBytes(StandardCharsets.UTF_8),
                    Map.of("eventType", "OBJECT_FINALIZE", "payloadFormat", "JSON_API_V1", "bucketId", bucket,
                            "objectId", name, "objectGeneration", Long.toString(generation)));
        }
    }

    /** A "GCS" that accepts connections and never answers: every fetch hangs until its deadline. */
    static final class Silent implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> held = new ArrayList<>();

        Silent() throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        synchronized (held) {
                            held.add(s);
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "silent-gcs");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        int accepted() {
            synchronized (held) {
                return held.size();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (held) {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
