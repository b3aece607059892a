package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.JobProgress;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The real local-mode job graph on a MiniCluster, with the real model. */
class LocalModeITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir Path input;
    @TempDir Path output;

    private JobConfig config(String... extra) {
        String[] base = {
            "--input-dir", input.toString(), "--output-dir", output.toString(), "--parallelism", "2",
            "--checkpoint-interval", "300ms", "--monitor-interval", "200ms", "--no-console"
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return JobConfigParser.parse(args, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
    }

    private static StreamExecutionEnvironment env(JobConfig config) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env;
    }

    private List<JsonNode> predictions() {
        return JsonRows.read(output.resolve("predictions"));
    }

    private List<JsonNode> deadLetters() {
        return JsonRows.read(output.resolve("dead-letter"));
    }

    private void copyDevImages(int from, int to) throws Exception {
        for (Path image : SharedData.devImages().subList(from, to)) {
            // Write under a hidden name, then rename: the source never sees half a file.
            Path tmp = input.resolve("." + image.getFileName());
            Files.copy(image, tmp);
            Files.move(tmp, input.resolve(image.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static void waitFor(String what, Duration timeout, java.util.function.BooleanSupplier done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    private static Map<String, Long> countByName(List<JsonNode> rows) {
        return rows.stream().collect(Collectors.groupingBy(r -> r.get("name").asText(), Collectors.counting()));
    }

    @Test
    void boundedRunWritesExactlyOneRowPerImageWithTheSeedSchema() throws Exception {
        copyDevImages(0, 20);
        Files.copy(SharedData.photo("chelsea.png"), input.resolve("chelsea.png"));
        Files.createDirectories(input.resolve("nested"));
        Files.copy(SharedData.photo("coffee.png"), input.resolve("nested/coffee.png"));

        env(config("--once")).execute("bounded");

        List<JsonNode> rows = predictions();
        assertThat(rows).hasSize(22);
        assertThat(countByName(rows).values()).allMatch(n -> n == 1);
        assertThat(deadLetters()).isEmpty();

        Map<String, JsonNode> byName = rows.stream()
                .collect(Collectors.toMap(r -> r.get("name").asText(), Function.identity()));
        JsonNode coffee = byName.get("nested/coffee.png");
        assertThat(coffee.get("label").asText()).isEqualTo("espresso");
        assertThat(coffee.get("label_index").asInt()).isEqualTo(967);
        assertThat(byName.get("chelsea.png").get("label_index").asInt()).isBetween(281, 285);

        // Seed schema first, in the older design's order, then the additions.
        List<String> fields = iteratorToList(coffee.fieldNames());
        assertThat(fields.subList(0, 10)).containsExactly("bucket", "name", "contentType", "size", "timeCreated",
                "updated", "label", "score", "model_name", "event_time");
        assertThat(fields).contains("label_index", "top_k", "model_version");
        assertThat(coffee.get("bucket").asText()).isEqualTo("local");
        assertThat(coffee.get("contentType").asText()).isEqualTo("image/png");
        assertThat(coffee.get("size").asText())
                .isEqualTo(Long.toString(Files.size(SharedData.photo("coffee.png"))));
        assertThat(coffee.get("model_name").asText()).isEqualTo("mobilenetv2-12-int8");
        assertThat(coffee.get("top_k")).hasSize(5);
        assertThat(coffee.get("top_k").get(0).get("label").asText()).isEqualTo("espresso");
        assertThat(coffee.get("score").asDouble()).isGreaterThan(0.9);
    }

    @Test
    void filesAddedWhileTheJobRunsAreClassified(@InjectMiniCluster MiniCluster cluster) throws Exception {
        copyDevImages(0, 3);
        JobClient job = env(config()).executeAsync("continuous");
        try {
            waitFor("first 3 rows", Duration.ofSeconds(90), () -> predictions().size() == 3);
            copyDevImages(3, 8);
            waitFor("8 rows", Duration.ofSeconds(90), () -> predictions().size() >= 8);
            // Two more completed checkpoints: a duplicate would be committed by then.
            JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, Duration.ofMinutes(1));
        } finally {
            job.cancel().get();
        }
        assertThat(countByName(predictions())).hasSize(8).allSatisfy((name, n) -> assertThat(n).isEqualTo(1));
    }

    @Test
    void afterATaskManagerFailureEachImageIsStillWrittenExactlyOnce(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        copyDevImages(0, 10);
        JobClient job = env(config()).executeAsync("failover");
        try {
            waitFor("first 10 rows", Duration.ofSeconds(90), () -> predictions().size() >= 10);
            copyDevImages(10, 16);
            // Kill the only TaskManager while the new files are in flight, then give the job a new one.
            int committedAtKill = predictions().size();
            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();
            assertThat(committedAtKill).as("rows committed when the TaskManager died: work was in flight")
                    .isLessThan(16);
            copyDevImages(16, 24);
            waitFor("24 rows", Duration.ofSeconds(120), () -> predictions().size() >= 24);
            // Two more completed checkpoints: any duplicate would be committed by then.
            JobProgress.awaitCheckpoints(cluster, job.getJobID(), 2, Duration.ofMinutes(1));
        } finally {
            job.cancel().get();
        }
        Map<String, Long> counts = countByName(predictions());
        assertThat(counts).hasSize(24);
        assertThat(counts.values()).allMatch(n -> n == 1);
    }

    @Test
    void badFilesGoToDeadLetterWithTheirReasonsAndHardOnesAreClassified() throws Exception {
        // Bad: each must land in dead-letter with its reason.
        Files.write(input.resolve("truncated.jpg"), TestImages.truncatedJpeg());
        Files.write(input.resolve("empty.jpg"), new byte[0]);
        Files.write(input.resolve("text.jpg"), TestImages.textNamedJpeg());
        Files.write(input.resolve("bomb.png"), TestImages.pngBomb(20000, 20000));
        Files.write(input.resolve("huge-file.png"), new byte[2 * 1024 * 1024]);
        // Hard but valid: each must become a prediction.
        Files.write(input.resolve("cmyk.jpg"), TestImages.cmykJpeg(320, 240));
        Files.write(input.resolve("sixteen-bit.png"), TestImages.write(
                TestImages.quadrants(300, 200, BufferedImage.TYPE_USHORT_GRAY), "png"));
        Files.write(input.resolve("animated.gif"), TestImages.animatedGif(240, 160, TestImages.RED, TestImages.BLUE));
        Files.write(input.resolve("progressive.jpg"), TestImages.jpeg(
                TestImages.quadrants(320, 240, BufferedImage.TYPE_INT_RGB), true));

        env(config("--once", "--max-image-bytes", "1mb")).execute("bad-files");

        Map<String, String> reasons = deadLetters().stream()
                .collect(Collectors.toMap(r -> r.get("name").asText(), r -> r.get("reason").asText()));
        assertThat(reasons).containsOnly(
                Map.entry("truncated.jpg", "decode_error"),
                Map.entry("empty.jpg", "empty"),
                Map.entry("text.jpg", "unsupported_format"),
                Map.entry("bomb.png", "too_many_pixels"),
                Map.entry("huge-file.png", "too_large"));
        assertThat(deadLetters()).allSatisfy(r -> {
            assertThat(r.get("message").asText()).isNotBlank();
            assertThat(r.get("stage").asText()).isIn("fetch", "classify");
        });
        assertThat(predictions()).extracting(r -> r.get("name").asText())
                .containsExactlyInAnyOrder("cmyk.jpg", "sixteen-bit.png", "animated.gif", "progressive.jpg");
    }

    @Test
    void predictionsBelowTheConfidenceThresholdAreDeadLettered() throws Exception {
        Files.copy(SharedData.photo("coffee.png"), input.resolve("coffee.png"));   // espresso, ~0.99
        Files.copy(SharedData.photo("chelsea.png"), input.resolve("chelsea.png")); // cat, ~0.7

        env(config("--once", "--confidence-threshold", "0.9")).execute("threshold");

        assertThat(predictions()).extracting(r -> r.get("name").asText()).containsExactly("coffee.png");
        assertThat(deadLetters()).singleElement().satisfies(r -> {
            assertThat(r.get("name").asText()).isEqualTo("chelsea.png");
            assertThat(r.get("reason").asText()).isEqualTo("below_confidence_threshold");
        });
    }

    private static List<String> iteratorToList(java.util.Iterator<String> it) {
        java.util.ArrayList<String> list = new java.util.ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}
