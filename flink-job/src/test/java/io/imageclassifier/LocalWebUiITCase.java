package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.testing.SharedData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded local mode as {@code scripts/run-local.sh} runs it: the real {@link ImageClassifierJob}
 * main in a JVM of its own, watching a directory. Its log names the web UI's real address, which is
 * not the first port of {@code --web-ui-port} when that one is taken, and the dashboard page and the
 * REST API the UI reads ({@code /jobs/overview}) answer there while the job runs.
 */
class LocalWebUiITCase {

    static final Pattern ADDRESS = Pattern.compile("Flink web UI: http://localhost:(\\d+)/");

    @TempDir Path tmp;

    @Test
    void logsTheWebUisRealAddressWhichServesTheDashboardAndTheRunningJob() throws Exception {
        Path input = Files.createDirectories(tmp.resolve("in"));
        Files.copy(SharedData.photo("coffee.png"), input.resolve("coffee.png"));
        List<String> output = new CopyOnWriteArrayList<>();
        // The first port of the range is taken, as 8081 is when another Flink runs.
        try (ServerSocket taken = new ServerSocket(0)) {
            int first = taken.getLocalPort();
            Process job = start(input, first + "-" + (first + 9));
            try {
                CompletableFuture<Integer> port = readLog(job, output);
                int uiPort = port.get(3, TimeUnit.MINUTES);
                assertThat(uiPort).as("the port the job logged").isBetween(first + 1, first + 9);

                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> page = get(http, uiPort, "");
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.body()).contains("<title>Apache Flink Web Dashboard</title>");

                JsonNode jobs = awaitRunningJob(http, uiPort);
                assertThat(jobs.path("jobs")).hasSize(1);
                assertThat(jobs.path("jobs").get(0).path("name").asText()).isEqualTo("image-classifier");
                assertThat(jobs.path("jobs").get(0).path("state").asText()).isEqualTo("RUNNING");
            } catch (Exception | AssertionError e) {
                throw new AssertionError("job output:\n" + String.join("\n", output), e);
            } finally {
                job.destroy();
                if (!job.waitFor(30, TimeUnit.SECONDS)) {
                    job.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * run-local.sh's cloud mode with a gs:// output (issue #16): the embedded Flink loads no plugins,
     * so it has no gs:// file system; the job stops at start with exit code 2 and a message that
     * says so and what to do, instead of failing when the first file is written.
     */
    @Test
    void gcsOutputInTheLocalModeStopsAtStartWithTheReasonAndTheWayOut() throws Exception {
        Path input = Files.createDirectories(tmp.resolve("in"));
        Process job = start(input, "8081-8090", "gs://my-bucket/output");
        String out = new String(job.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(job.waitFor(2, TimeUnit.MINUTES)).as("exited").isTrue();
        assertThat(job.exitValue()).as("exit code; output:\n" + out).isEqualTo(2);
        assertThat(out).contains("error: --output-dir gs://my-bucket/output: this Flink has no file system for gs://")
                .contains("flink-gs-fs-hadoop").contains("write to a local --output-dir there")
                .doesNotContain("Flink web UI:");
    }

    /** {@code java ... ImageClassifierJob} on this test's classpath, as run-local.sh starts it. */
    private Process start(Path input, String ports) throws Exception {
        return start(input, ports, tmp.resolve("out").toString());
    }

    private Process start(Path input, String ports, String outputDir) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Flink's --add-opens, as this test JVM got them.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens")).forEach(cmd::add);
        cmd.addAll(List.of("-Xmx1g", "-Dlog4j.configurationFile="
                + Path.of(System.getProperty("user.dir")).resolveSibling("scripts/log4j2-local.properties")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ImageClassifierJob.class.getName(),
                "--input-dir", input.toString(), "--output-dir", outputDir,
                "--parallelism", "1", "--no-console", "--web-ui-port", ports));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SHARED_DIR", SharedData.dir().toString());
        return pb.start();
    }

    /** Collects the job's output; completes with the port of its "Flink web UI" line. */
    private static CompletableFuture<Integer> readLog(Process job, List<String> output) {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(job.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    output.add(line);
                    Matcher m = ADDRESS.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
                port.completeExceptionally(new AssertionError("the job exited without logging its web UI address"));
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
        }, "job-output");
        reader.setDaemon(true);
        reader.start();
        return port;
    }

    private static JsonNode awaitRunningJob(HttpClient http, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        JsonNode overview;
        do {
            HttpResponse<String> resp = get(http, port, "jobs/overview");
            assertThat(resp.statusCode()).isEqualTo(200);
            overview = new ObjectMapper().readTree(resp.body());
            if (overview.path("jobs").size() == 1
                    && "RUNNING".equals(overview.path("jobs").get(0).path("state").asText())) {
                return overview;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return overview;
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/" + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
