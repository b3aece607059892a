package io.imageclassifier.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.classify.ClassifyFunction;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.sink.DeadLetterMetrics;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommitter;
import io.imageclassifier.sink.bigquery.writer.SinkMetrics;
import io.imageclassifier.source.pubsub.reader.PubSubReaderMetrics;
import io.imageclassifier.testing.SharedData;
import java.io.IOException;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metric names of docs/operations.md and k8s/monitoring/grafana-dashboard.json are the ones
 * Flink's Prometheus reporter (the one the Kubernetes image enables) really exports: the job runs
 * on a MiniCluster with that reporter, classifies a photo and dead-letters a broken file, and its
 * scrape is read. Names of the cloud path's operators (Pub/Sub source, BigQuery sink), which a local
 * run does not have, must follow the same scope rule, proven here on the local operators, with the
 * group and metric names the code registers.
 */
class PrometheusMetricsITCase {

    static final int PORT = freePort();
    /** Scope of every operator metric: Flink's logical scope taskmanager.job.task.operator. */
    static final String OPERATOR = "flink_taskmanager_job_task_operator_";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setConfiguration(Configuration.fromMap(Map.of(
                            "metrics.reporter.prom.factory.class",
                            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                            "metrics.reporter.prom.port", String.valueOf(PORT))))
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(1)
                    .build());

    @TempDir Path input;
    @TempDir Path output;

    @Test
    void dashboardAndOperationsDocQueryMetricsTheReporterExports() throws Exception {
        Files.copy(SharedData.photo("coffee.png"), input.resolve("coffee.png"));
        Files.write(input.resolve("broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
        JobConfig config = JobConfigParser.parse(new String[] {"--input-dir", input.toString(), "--output-dir",
                output.toString(), "--parallelism", "1", "--checkpoint-interval", "300ms", "--monitor-interval", "200ms",
                "--no-console"}, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        JobClient job = env.executeAsync("image-classifier");
        Map<String, List<Sample>> scrape;
        try {
            scrape = awaitScrape(s -> value(s, OPERATOR + "imagesClassified") >= 1
                    && sum(s, OPERATOR + DeadLetterMetrics.GROUP + "_") >= 1
                    && value(s, "flink_jobmanager_job_numberOfCompletedCheckpoints") >= 1);
        } finally {
            job.cancel().get();
        }

        // The model panel: one series, labelled with the model's name and version.
        List<Sample> model = scrape.get(OPERATOR + "model_modelVersion_" + ClassifyFunction.METRIC_MODEL_LOADED);
        assertThat(model).as("model gauge in\n" + scrape.keySet()).hasSize(1);
        // The reporter filters label values as it does names: '-' becomes '_'.
        assertThat(model.get(0).labels()).containsEntry("model", "mobilenetv2_12_int8");
        assertThat(model.get(0).labels().get("modelVersion")).matches("[0-9a-f]{12}");
        assertThat(model.get(0).value()).isEqualTo(1.0);
        // Dead letters by reason: one counter per reason, the reason in the name.
        assertThat(scrape).containsKeys(OPERATOR + "deadLetters_decode_error", OPERATOR + "deadLetters_row_rejected");
        assertThat(scrape.get(OPERATOR + ClassifyFunction.METRIC_SOURCE_TO_PREDICTION_MILLIS))
                .anySatisfy(s -> assertThat(s.labels()).containsEntry("quantile", "0.99"));
        assertThat(scrape.get(OPERATOR + "imagesClassified").get(0).labels()).containsEntry("job_name", "image_classifier");

        Set<String> cloudOnly = Set.of(
                OPERATOR + PubSubReaderMetrics.GROUP + "_" + PubSubReaderMetrics.PENDING_ACKS,
                OPERATOR + PubSubReaderMetrics.GROUP + "_" + PubSubReaderMetrics.RECEIVED,
                OPERATOR + PubSubReaderMetrics.GROUP + "_" + PubSubReaderMetrics.ACKED,
                OPERATOR + SinkMetrics.GROUP + "_" + BigQueryCommitter.ROWS_COMMITTED,
                OPERATOR + SinkMetrics.GROUP + "_" + SinkMetrics.ROWS_APPENDED,
                OPERATOR + SinkMetrics.GROUP + "_" + SinkMetrics.ROWS_REJECTED);
        List<String> referenced = new ArrayList<>(MonitoringManifestsTest.dashboardMetricNames());
        referenced.addAll(operationsDocMetricNames());
        assertThat(referenced).as("names found in the dashboard and docs/operations.md").hasSizeGreaterThan(10);
        for (String name : referenced) {
            if (name.startsWith("pubsub_googleapis_com")) {
                continue; // Cloud Monitoring's, read through GKE Managed Service for Prometheus
            }
            if (name.startsWith("~")) {
                Pattern p = Pattern.compile(name.substring(1));
                assertThat(scrape.keySet()).as("a series matching " + name).anyMatch(n -> p.matcher(n).matches());
            } else if (name.contains("_" + PubSubReaderMetrics.GROUP + "_") || name.contains("_" + SinkMetrics.GROUP + "_")) {
                assertThat(cloudOnly).as("a cloud-path metric the code registers").contains(name);
            } else {
                assertThat(scrape).as("exported by the reporter").containsKey(name);
            }
        }
    }

    /** Backticked Prometheus names in docs/operations.md. */
    private static List<String> operationsDocMetricNames() throws IOException {
        String doc = Files.readString(RepoPaths.root().resolve("docs/operations.md"));
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("`((?:flink|pubsub_googleapis_com)[A-Za-z0-9_:]*)`").matcher(doc);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    record Sample(Map<String, String> labels, double value) {}

    private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private static Map<String, List<Sample>> awaitScrape(java.util.function.Predicate<Map<String, List<Sample>>> done)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        Map<String, List<Sample>> last = Map.of();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + PORT + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            last = parse(resp.body());
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the scrape never showed a classified image, a dead letter and a checkpoint: "
                + last.keySet());
    }

    static Map<String, List<Sample>> parse(String text) {
        Map<String, List<Sample>> out = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            out.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(new Sample(labels, Double.parseDouble(m.group(4))));
        }
        return out;
    }

    private static double value(Map<String, List<Sample>> scrape, String name) {
        return scrape.getOrDefault(name, List.of()).stream().mapToDouble(Sample::value).sum();
    }

    private static double sum(Map<String, List<Sample>> scrape, String prefix) {
        return scrape.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .flatMap(e -> e.getValue().stream()).mapToDouble(Sample::value).sum();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
