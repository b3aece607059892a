package io.imageclassifier.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * k8s/monitoring/: the PodMonitor (Prometheus Operator) and PodMonitoring (GKE Managed Prometheus)
 * select the job's pods and their metrics port, and the Grafana dashboard has the panels
 * docs/operations.md describes, each with queries on defined variables. That the metric names in
 * those queries are the ones Flink's Prometheus reporter really exports is checked by
 * {@code PrometheusMetricsITCase}.
 */
class MonitoringManifestsTest {

    static final Path MONITORING = RepoPaths.root().resolve("k8s/monitoring");

    /** The FlinkDeployment's pod template, as the example overlay renders it. */
    private static JsonNode podTemplate() throws Exception {
        return Kustomize.only(Kustomize.render(RepoPaths.root().resolve("k8s/overlays/example")), "FlinkDeployment", null)
                .path("spec").path("podTemplate");
    }

    private static void assertSelectsTheJobsPodsAndMetricsPort(JsonNode monitor, String endpointsField)
            throws Exception {
        JsonNode pod = podTemplate();
        Map<String, Object> podLabels = new ObjectMapper().convertValue(pod.path("metadata").path("labels"), Map.class);
        Map<String, Object> selector = new ObjectMapper().convertValue(
                monitor.path("spec").path("selector").path("matchLabels"), Map.class);
        assertThat(selector).as("selector").isNotEmpty();
        assertThat(podLabels).as("the FlinkDeployment's pod labels").containsAllEntriesOf(selector);

        List<String> podPorts = new ArrayList<>();
        pod.path("spec").path("containers").forEach(c -> c.path("ports").forEach(p -> podPorts.add(p.path("name").asText())));
        JsonNode endpoints = monitor.path("spec").path(endpointsField);
        assertThat(endpoints).as(endpointsField).hasSize(1);
        assertThat(podPorts).contains(endpoints.get(0).path("port").asText());
    }

    @Test
    void podMonitorScrapesTheMetricsPortOfTheJobsPods() throws Exception {
        JsonNode monitor = Kustomize.YAML.readTree(Files.readString(MONITORING.resolve("podmonitor.yaml")));
        assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.path("kind").asText()).isEqualTo("PodMonitor");
        assertSelectsTheJobsPodsAndMetricsPort(monitor, "podMetricsEndpoints");
    }

    @Test
    void gkeManagedPrometheusPodMonitoringScrapesTheSame() throws Exception {
        JsonNode monitor = Kustomize.YAML.readTree(Files.readString(MONITORING.resolve("podmonitoring.yaml")));
        assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.googleapis.com/v1");
        assertThat(monitor.path("kind").asText()).isEqualTo("PodMonitoring");
        assertSelectsTheJobsPodsAndMetricsPort(monitor, "endpoints");
    }

    @Test
    void dashboardHasEveryPanelOperationsNeedsWithQueriesOnDefinedVariables() throws Exception {
        JsonNode dashboard = dashboard();
        assertThat(dashboard.path("uid").asText()).isNotBlank();

        Set<String> variables = new HashSet<>(List.of("__all", "__interval", "__rate_interval", "__range"));
        dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
        assertThat(variables).contains("datasource", "job", "subscription");

        List<String> titles = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            titles.add(panel.path("title").asText());
            assertThat(ids.add(panel.path("id").asInt())).as("unique panel id " + panel.path("id")).isTrue();
            assertThat(panel.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                assertThat(expr).as("query of " + panel.path("title")).isNotBlank();
                assertBalanced(expr);
                Matcher m = Pattern.compile("\\$\\{?([A-Za-z_]+)").matcher(expr);
                while (m.find()) {
                    assertThat(variables).as("variable in " + expr).contains(m.group(1));
                }
            }
        }
        assertThat(titles).containsExactlyInAnyOrder("Rows per second", "Dead letters by reason", "Backlog",
                "Latency: object seen to prediction", "Checkpoints", "Model version");
    }

    /** Every metric name the dashboard queries (exact names, and name patterns as regexes). */
    static List<String> dashboardMetricNames() throws Exception {
        List<String> names = new ArrayList<>();
        Pattern exact = Pattern.compile("\\b((?:flink|pubsub_googleapis_com)[A-Za-z0-9_:]*)\\s*\\{");
        Pattern byName = Pattern.compile("__name__=~\"([^\"]+)\"");
        for (JsonNode panel : dashboard().path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                Matcher m = exact.matcher(expr);
                while (m.find()) {
                    names.add(m.group(1));
                }
                m = byName.matcher(expr);
                while (m.find()) {
                    names.add("~" + m.group(1));
                }
            }
        }
        return names;
    }

    static JsonNode dashboard() throws Exception {
        return new ObjectMapper().readTree(Files.readString(MONITORING.resolve("grafana-dashboard.json")));
    }

    private static void assertBalanced(String expr) {
        int depth = 0;
        for (char c : expr.toCharArray()) {
            depth += c == '(' || c == '{' || c == '[' ? 1 : c == ')' || c == '}' || c == ']' ? -1 : 0;
            assertThat(depth).as("brackets of " + expr).isNotNegative();
        }
        assertThat(depth).as("brackets of " + expr).isZero();
    }
}
