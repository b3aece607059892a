package io.imageclassifier.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as a user submits it through the Flink web UI: a MiniCluster with its REST
 * endpoint and web submission (flink-runtime-web), the jar uploaded with {@code /jars/upload} and
 * run with {@code /jars/{id}/run} in local mode on three photos, then its prediction files read.
 * Runs in failsafe's integration-test phase, after package built the jar ({@code -Djob.jar}).
 *
 * <p>The cluster is configured as a vanilla one (no {@code ai.onnxruntime.} parent-first pattern,
 * default request size limit): ONNX Runtime loads child-first from the uploaded jar, and the two
 * submissions of this class load it in two user classloaders of the same JVM, which is what a
 * resubmission on a long-lived session cluster does. The Kubernetes image loads it parent-first
 * from lib/ instead (k8s/README.md), which saves one native library copy per submission.
 */
class SubmitThroughRestITCase {

    static final Path UPLOAD_DIR = tempDir("flink-web-upload");

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setConfiguration(clusterConfig())
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    static Path jar;

    static Configuration clusterConfig() {
        Configuration conf = new Configuration();
        conf.set(WebOptions.UPLOAD_DIR, UPLOAD_DIR.toString());
        conf.set(WebOptions.SUBMIT_ENABLE, true);
        return conf;
    }

    @BeforeAll
    static void findJar() throws IOException {
        String prop = System.getProperty("job.jar");
        assertThat(prop).as("-Djob.jar (set by failsafe: run `mvn verify`, which packages the jar first)")
                .isNotBlank();
        jar = Path.of(prop);
        assertThat(jar).as("shaded job jar: run `mvn verify` or `mvn package` first").isRegularFile();
        try (JarFile jf = new JarFile(jar.toFile())) {
            assertThat(jf.getManifest().getMainAttributes().getValue("Main-Class"))
                    .as("Main-Class, which the web UI runs when no entry class is given")
                    .isEqualTo(ImageClassifierJob.class.getName());
        }
    }

    @Test
    void shadedJarLeavesFlinkAndLoggingToTheCluster() throws IOException {
        List<String> clashes;
        try (JarFile jf = new JarFile(jar.toFile())) {
            clashes = jf.stream().map(e -> e.getName())
                    .filter(n -> n.endsWith(".class"))
                    .filter(n -> n.startsWith("org/slf4j/") || n.startsWith("org/apache/logging/") || n.startsWith("scala/")
                            || (n.startsWith("org/apache/flink/")
                                    // flink-connector-files/-base: same version as the cluster's, and
                                    // org.apache.flink. always loads parent-first anyway
                                    && !n.startsWith("org/apache/flink/connector/")
                                    && !n.startsWith("org/apache/flink/streaming/api/functions/sink/filesystem/")))
                    .limit(20)
                    .toList();
        }
        assertThat(clashes).as("classes the cluster's lib/ provides").isEmpty();
    }

    @Test
    void uploadedShadedJarRunsInLocalModeAndWritesPredictions(
            @InjectClusterClient ClusterClient<?> client, @TempDir Path tmp) throws Exception {
        Path input = samplePhotos(tmp.resolve("in"));
        Path output = tmp.resolve("out");
        FlinkRest rest = new FlinkRest(client.getWebInterfaceURL());

        String jarId = rest.uploadJar(jar);
        assertThat(rest.get("jars").path("files").toString()).contains(jarId);
        String jobId = rest.runJar(jarId, ImageClassifierJob.class.getName(), jobArgs(input, output), 1);

        assertFinishedWithPredictions(rest, jobId, output);
    }

    /**
     * Flink settings belong to the cluster (issue #16): a job submitted without checkpoint flags runs
     * with the checkpoint interval and alignment the cluster (here: the submission's configuration)
     * gives it; a flag, when given, wins.
     */
    @Test
    void checkpointSettingsComeFromTheClusterUnlessAFlagIsGiven(@InjectClusterClient ClusterClient<?> client,
            @TempDir Path tmp) throws Exception {
        Path input = samplePhotos(tmp.resolve("in"));
        FlinkRest rest = new FlinkRest(client.getWebInterfaceURL());
        String jarId = rest.uploadJar(jar);
        Map<String, String> cluster = Map.of("execution.checkpointing.interval", "45s",
                "execution.checkpointing.unaligned.enabled", "false");

        List<String> watching = List.of("--input-dir", input.toString(), "--output-dir", tmp.resolve("out1").toString(),
                "--model", SharedData.model().toString(), "--labels", SharedData.labels().toString(), "--no-console");
        String jobId = rest.runJar(jarId, ImageClassifierJob.class.getName(), watching, 1, cluster);
        try {
            rest.awaitRunning(jobId, Duration.ofMinutes(2));
            JsonNode checkpoints = rest.get("jobs/" + jobId + "/checkpoints/config");
            assertThat(checkpoints.path("interval").asLong()).as("cluster's interval").isEqualTo(45_000);
            assertThat(checkpoints.path("unaligned_checkpoints").asBoolean()).as("cluster's alignment").isFalse();
        } finally {
            rest.cancel(jobId);
        }

        List<String> flagged = new ArrayList<>(watching);
        flagged.replaceAll(a -> a.equals(tmp.resolve("out1").toString()) ? tmp.resolve("out2").toString() : a);
        flagged.addAll(List.of("--checkpoint-interval", "7s", "--unaligned-checkpoints"));
        jobId = rest.runJar(jarId, ImageClassifierJob.class.getName(), flagged, 1, cluster);
        try {
            rest.awaitRunning(jobId, Duration.ofMinutes(2));
            JsonNode checkpoints = rest.get("jobs/" + jobId + "/checkpoints/config");
            assertThat(checkpoints.path("interval").asLong()).as("--checkpoint-interval").isEqualTo(7_000);
            assertThat(checkpoints.path("unaligned_checkpoints").asBoolean()).as("--unaligned-checkpoints").isTrue();
        } finally {
            rest.cancel(jobId);
        }
    }

    /**
     * What the job can check before it starts fails the submission itself (the web UI shows the
     * message), not every task in a restart loop: a cloud-mode job on a cluster without checkpointing,
     * a model path that does not exist, a gs:// output on a cluster without the gs:// file system.
     */
    @Test
    void mistakesTheJobCanSeeFailTheSubmissionWithAMessage(@InjectClusterClient ClusterClient<?> client,
            @TempDir Path tmp) throws Exception {
        FlinkRest rest = new FlinkRest(client.getWebInterfaceURL());
        String jarId = rest.uploadJar(jar);
        String entry = ImageClassifierJob.class.getName();
        List<String> cloud = List.of("--project-id", "p", "--subscription", "s", "--output-dir",
                tmp.resolve("out").toString(), "--model", SharedData.model().toString(), "--no-console");

        assertThatThrownBy(() -> rest.runJar(jarId, entry, cloud, 1))
                .hasMessageContaining("checkpointing is off on this cluster")
                .hasMessageContaining("execution.checkpointing.interval");

        List<String> badModel = new ArrayList<>(jobArgs(samplePhotos(tmp.resolve("in")), tmp.resolve("out")));
        badModel.set(badModel.indexOf("--model") + 1, tmp.resolve("missing.onnx").toString());
        assertThatThrownBy(() -> rest.runJar(jarId, entry, badModel, 1))
                .hasMessageContaining("--model " + tmp.resolve("missing.onnx") + " does not exist");

        List<String> gcsOutput = new ArrayList<>(jobArgs(tmp.resolve("in"), tmp.resolve("out")));
        gcsOutput.set(gcsOutput.indexOf("--output-dir") + 1, "gs://bucket/out");
        assertThatThrownBy(() -> rest.runJar(jarId, entry, gcsOutput, 1))
                .hasMessageContaining("--output-dir gs://bucket/out: this Flink has no file system for gs://");

        assertThat(rest.get("jobs/overview").path("jobs").toString()).as("no job was started")
                .doesNotContain("\"state\":\"RUNNING\"");
    }

    @Test
    void submitRestScriptUploadsAndRunsTheJar(@InjectClusterClient ClusterClient<?> client, @TempDir Path tmp)
            throws Exception {
        Path input = samplePhotos(tmp.resolve("in"));
        Path output = tmp.resolve("out");
        List<String> cmd = new ArrayList<>(List.of("bash", RepoPaths.root().resolve("scripts/submit-rest.sh").toString(),
                "--jobmanager", client.getWebInterfaceURL(), "--jar", jar.toString(), "--parallelism", "1", "--"));
        cmd.addAll(jobArgs(input, output));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String jobId = out.lines().filter(l -> l.startsWith("job id: ")).map(l -> l.substring(8).strip())
                .findFirst().orElseThrow(() -> new AssertionError("no 'job id:' line in\n" + out));

        assertFinishedWithPredictions(new FlinkRest(client.getWebInterfaceURL()), jobId, output);
    }

    /**
     * After the submitted jobs ran (in this JVM of its own, so they were the first to touch ImageIO),
     * the JVM-wide ImageIO registry holds no plugin loaded by a job's classloader: one there would pin
     * that classloader after the job ends and hand later jobs its stale classes.
     */
    @org.junit.jupiter.api.AfterAll
    static void imageIoRegistryHoldsNoJobClasses() {
        javax.imageio.spi.IIORegistry registry = javax.imageio.spi.IIORegistry.getDefaultInstance();
        java.util.List<String> leaked = new java.util.ArrayList<>();
        for (Class<?> category : java.util.List.of(javax.imageio.spi.ImageReaderSpi.class,
                javax.imageio.spi.ImageWriterSpi.class)) {
            registry.getServiceProviders(category, false).forEachRemaining(spi -> {
                ClassLoader loader = spi.getClass().getClassLoader();
                if (loader != null && loader != ClassLoader.getSystemClassLoader()
                        && loader != ClassLoader.getPlatformClassLoader()) {
                    leaked.add(spi.getClass().getName() + " from " + loader);
                }
            });
        }
        org.assertj.core.api.Assertions.assertThat(leaked).as("ImageIO plugins from job classloaders").isEmpty();
    }

    static void assertFinishedWithPredictions(FlinkRest rest, String jobId, Path output) throws Exception {
        String state = rest.awaitTermination(jobId, Duration.ofMinutes(3));
        assertThat(state).as("job state; exceptions: %s", rest.get("jobs/" + jobId + "/exceptions"))
                .isEqualTo("FINISHED");
        List<JsonNode> rows = JsonRows.read(output.resolve("predictions"));
        assertThat(rows).hasSize(3);
        Map<String, String> labelByName = new HashMap<>();
        rows.forEach(r -> labelByName.put(Path.of(r.path("name").asText()).getFileName().toString(),
                r.path("label").asText()));
        assertThat(labelByName)
                .containsEntry("chelsea.png", "Egyptian cat")
                .containsEntry("coffee.png", "espresso")
                .containsEntry("camera.png", "tripod");
    }

    static List<String> jobArgs(Path input, Path output) {
        return List.of(
                "--input-dir", input.toString(),
                "--output-dir", output.toString(),
                "--model", SharedData.model().toString(),
                "--labels", SharedData.labels().toString(),
                "--once",
                "--parallelism", "1",
                "--no-console");
    }

    static Path samplePhotos(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : List.of("chelsea.png", "coffee.png", "camera.png")) {
            Files.copy(SharedData.photo(name), dir.resolve(name));
        }
        return dir;
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
