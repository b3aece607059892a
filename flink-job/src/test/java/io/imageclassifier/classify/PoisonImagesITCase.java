package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.ImageMagick;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.PoisonImageReaderSpi;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poison images through the real local-mode job graph on a MiniCluster: inputs that make each
 * decode stage throw (through the test-only {@link PoisonImageReaderSpi}: format probe, header,
 * image type, pixel decoder, stack overflow, out of memory, colour conversion), an extreme aspect
 * ratio, a huge 16-bit raster, truncated JPEG/WebP/AVIF files and a decompression bomb, among good
 * photos (JPEG, PNG, and where libwebp/libheif and ImageMagick are installed WebP and HEIC copies). Each
 * poison image must become a dead letter with its reason, every good image a row, and the job must
 * never fail over: a failure here would be retried from the checkpoint and fail again, forever.
 */
class PoisonImagesITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir Path input;
    @TempDir Path output;

    @Test
    void poisonImagesBecomeDeadLettersWithReasonsAndTheJobNeverRestarts(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        List<String> good = new java.util.ArrayList<>();
        for (Path photo : SharedData.devImages().subList(0, 6)) {
            Files.copy(photo, input.resolve(photo.getFileName()));
            good.add(photo.getFileName().toString());
        }
        for (String photo : List.of("coffee.png", "chelsea.png")) {
            Files.copy(SharedData.photo(photo), input.resolve(photo));
            good.add(photo);
        }
        Map<String, String> poison = new HashMap<>();
        for (String stage : List.of("header", "types", "read", "stack", "oom", "convert")) {
            poison.put(write(stage + ".img", PoisonImageReaderSpi.image(stage, "it")), "decode_error");
        }
        // A probe that throws claims nothing: no decoder for these bytes.
        poison.put(write("probe.img", PoisonImageReaderSpi.image("probe", "it")), "unsupported_format");
        poison.put(write("extreme-aspect.png", TestImages.blackPng(49_000_000, 1, 8, 2)), "too_many_pixels");
        poison.put(write("huge-16-bit.png", TestImages.blackPng(45_000, 450, 16, 6)), "too_many_pixels");
        poison.put(write("bomb.png", TestImages.pngBomb(20_000, 20_000)), "too_many_pixels");
        poison.put(write("truncated.jpg", TestImages.truncatedJpeg()), "decode_error");
        // WebP, HEIC, AVIF through the native libraries: hostile and truncated files are rejections too.
        good.add(write("huffman-groups.webp", TestImages.webpLosslessHuffmanGroups()));
        if (WebpDecoder.available()) {
            byte[] webp = TestImages.webpLossless(64, 48);
            poison.put(write("truncated.webp", Arrays.copyOf(webp, webp.length / 2)), "decode_error");
        }
        if (ImageMagick.available()) {
            byte[] chelsea = Files.readAllBytes(SharedData.photo("chelsea.png"));
            good.add(write("chelsea.webp", ImageMagick.convert(chelsea, "png", "webp")));
            if (HeifDecoder.available()) {
                good.add(write("chelsea.heic", ImageMagick.convert(chelsea, "png", "heic")));
                byte[] avif = ImageMagick.convert(chelsea, "png", "avif");
                poison.put(write("truncated.avif", Arrays.copyOf(avif, avif.length / 2)), "decode_error");
            }
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        var config = JobConfigParser.parse(new String[] {
            "--input-dir", input.toString(), "--output-dir", output.toString(), "--parallelism", "2",
            "--checkpoint-interval", "300ms", "--no-console", "--once"
        }, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        JobClient job = env.executeAsync("poison-images");
        awaitFinishedWithoutFailover(cluster, job.getJobID(), Duration.ofMinutes(3));

        Map<String, String> reasons = JsonRows.read(output.resolve("dead-letter")).stream()
                .collect(Collectors.toMap(r -> r.get("name").asText(), r -> r.get("reason").asText()));
        assertThat(reasons).containsExactlyInAnyOrderEntriesOf(poison);
        assertThat(JsonRows.read(output.resolve("dead-letter"))).allSatisfy(r -> {
            assertThat(r.get("message").asText()).isNotBlank();
            assertThat(r.get("stage").asText()).isEqualTo("classify");
        });
        List<JsonNode> rows = JsonRows.read(output.resolve("predictions"));
        assertThat(rows).extracting(r -> r.get("name").asText()).containsExactlyInAnyOrderElementsOf(good);
    }

    private String write(String name, byte[] bytes) throws Exception {
        Files.write(input.resolve(name), bytes);
        return name;
    }

    /** Waits for the job to finish, failing at once (and cancelling it) if it ever fails over. */
    private static void awaitFinishedWithoutFailover(MiniCluster cluster, JobID id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            AccessExecutionGraph graph = cluster.getExecutionGraph(id).get();
            if (graph.getFailureInfo() != null || graph.getStatusTimestamp(JobStatus.RESTARTING) > 0) {
                cluster.cancelJob(id).get();
                throw new AssertionError("the job failed over (each failover would repeat forever): "
                        + (graph.getFailureInfo() == null ? "restarting" : graph.getFailureInfo().getExceptionAsString()));
            }
            if (graph.getState() == JobStatus.FINISHED) {
                return;
            }
            assertThat(graph.getState().isGloballyTerminalState()).as("job state " + graph.getState()).isFalse();
            if (System.nanoTime() > deadline) {
                cluster.cancelJob(id).get();
                throw new AssertionError("timed out waiting for the job to finish");
            }
            Thread.sleep(200);
        }
    }
}
