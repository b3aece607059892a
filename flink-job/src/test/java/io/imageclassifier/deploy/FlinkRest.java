package io.imageclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The few calls of Flink's REST API that the web UI's "Submit New Job" page makes:
 * {@code POST /jars/upload} (multipart, field {@code jarfile}), {@code POST /jars/{id}/run},
 * then {@code GET /jobs/{id}} until the job ends.
 */
final class FlinkRest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    FlinkRest(String baseUrl) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    }

    /** Uploads a jar; returns its id (the name the UI lists it under). */
    String uploadJar(Path jar) throws IOException, InterruptedException {
        String boundary = "----flinkjar" + UUID.randomUUID();
        String head = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName() + "\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        HttpRequest req = HttpRequest.newBuilder(base.resolve("jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofString(head, StandardCharsets.UTF_8),
                        HttpRequest.BodyPublishers.ofFile(jar),
                        HttpRequest.BodyPublishers.ofString(tail, StandardCharsets.UTF_8)))
                .timeout(Duration.ofMinutes(2))
                .build();
        JsonNode body = send(req);
        String filename = body.path("filename").asText();
        if (!"success".equals(body.path("status").asText()) || filename.isEmpty()) {
            throw new IOException("upload failed: " + body);
        }
        return Path.of(filename).getFileName().toString();
    }

    /** Runs an uploaded jar's main class with these program arguments; returns the job id. */
    String runJar(String jarId, String entryClass, List<String> args, int parallelism)
            throws IOException, InterruptedException {
        return runJar(jarId, entryClass, args, parallelism, Map.of());
    }

    /**
     * Runs an uploaded jar with Flink configuration for this submission on top of the cluster's
     * (the run request's {@code flinkConfiguration}, as a deployment's own settings); returns the job id.
     */
    String runJar(String jarId, String entryClass, List<String> args, int parallelism, Map<String, String> flinkConf)
            throws IOException, InterruptedException {
        String json = JSON.writeValueAsString(Map.of(
                "entryClass", entryClass, "programArgsList", args, "parallelism", parallelism,
                "flinkConfiguration", flinkConf));
        HttpRequest req = HttpRequest.newBuilder(base.resolve("jars/" + jarId + "/run"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .timeout(Duration.ofMinutes(2))
                .build();
        return send(req).path("jobid").asText();
    }

    /** Waits until the job is in a terminal state; returns that state. */
    String awaitTermination(String jobId, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String state = get("jobs/" + jobId).path("state").asText();
            if (List.of("FINISHED", "FAILED", "CANCELED").contains(state)) {
                return state;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("job " + jobId + " not finished after " + timeout);
    }

    /** Cancels a job and waits until it is no longer running. */
    void cancel(String jobId) throws IOException, InterruptedException {
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() / 100 != 2) {
            throw new IOException("cancel " + jobId + " -> HTTP " + resp.statusCode() + ": " + resp.body());
        }
        awaitTermination(jobId, Duration.ofMinutes(1));
    }

    /** Waits until the job is RUNNING with all its tasks running. */
    void awaitRunning(String jobId, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode job = get("jobs/" + jobId);
            String state = job.path("state").asText();
            if ("RUNNING".equals(state) && job.path("status-counts").path("RUNNING").asInt()
                    == job.path("vertices").size()) {
                return;
            }
            if (List.of("FINISHED", "FAILED", "CANCELED").contains(state)) {
                throw new AssertionError("job " + jobId + " ended " + state + ": " + get("jobs/" + jobId + "/exceptions"));
            }
            Thread.sleep(250);
        }
        throw new AssertionError("job " + jobId + " not running after " + timeout);
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET().timeout(Duration.ofSeconds(30)).build());
    }

    private JsonNode send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() / 100 != 2) {
            throw new IOException(req.method() + " " + req.uri() + " -> HTTP " + resp.statusCode() + ": " + resp.body());
        }
        return JSON.readTree(resp.body());
    }
}
