package io.imageclassifier.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.config.SourceKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.util.TimeUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Kubernetes deployables in k8s/: every overlay renders with {@code kubectl kustomize}, its
 * FlinkDeployment validates against the operator's CRD schema, its Flink configuration keys exist
 * in Flink 2.3, its job flags parse with the job's own {@link JobConfigParser}, and the core
 * objects carry what the operator and GKE Workload Identity need.
 */
class K8sManifestsTest {

    static final String KSA = "image-classifier";
    static final String WI_ANNOTATION = "iam.gke.io/gcp-service-account";

    static CrdSchemaValidator crd;
    static FlinkConfigKeys flinkKeys;

    @BeforeAll
    static void load() throws Exception {
        crd = CrdSchemaValidator.load(RepoPaths.flinkDeploymentCrd(), "v1beta1");
        flinkKeys = FlinkConfigKeys.ofClasspath();
    }

    /** Every overlay the repository ships. */
    static Stream<Path> overlays() throws IOException {
        try (Stream<Path> dirs = Files.list(RepoPaths.root().resolve("k8s/overlays"))) {
            List<Path> list = dirs.filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml"))).sorted().toList();
            assertThat(list).as("overlays under k8s/overlays").isNotEmpty();
            return list.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void flinkDeploymentValidatesAgainstOperatorCrd(Path overlay) throws Exception {
        List<JsonNode> docs = Kustomize.render(overlay);
        List<JsonNode> deployments = docs.stream().filter(d -> "FlinkDeployment".equals(d.path("kind").asText())).toList();
        assertThat(deployments).hasSize(1);
        assertThat(crd.validate(deployments.get(0))).as("CRD schema problems").isEmpty();
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void flinkConfigurationUsesFlink2KeysAndTheSettingsTheJobNeeds(Path overlay) throws Exception {
        Map<String, String> values = ValuesEnv.read(overlay.resolve("values.env"));
        JsonNode spec = Kustomize.only(Kustomize.render(overlay), "FlinkDeployment", null).path("spec");
        Map<String, String> conf = flinkConfiguration(spec);

        assertThat(flinkKeys.size()).as("Flink options found on the classpath").isGreaterThan(200);
        assertThat(flinkKeys.check(conf)).as("unknown, deprecated or invalid Flink keys").isEmpty();
        assertThat(AutoscalerKeys.check(conf)).as("unknown, deprecated or invalid autoscaler keys").isEmpty();

        assertThat(spec.path("flinkVersion").asText()).isEqualTo("v2_3");
        assertThat(spec.path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
        String base = values.get("CHECKPOINT_GCS");
        assertThat(base).startsWith("gs://").doesNotEndWith("/");
        assertThat(conf)
                .containsEntry("execution.checkpointing.dir", base + "/checkpoints")
                .containsEntry("execution.checkpointing.savepoint-dir", base + "/savepoints")
                .containsEntry("high-availability.type", "kubernetes")
                .containsEntry("high-availability.storageDir", base + "/ha")
                .containsEntry("restart-strategy.type", "exponential-delay")
                .containsEntry("metrics.reporter.prom.factory.class",
                        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                .containsEntry("classloader.parent-first-patterns.additional", "ai.onnxruntime.");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void jobFlagsParseWithTheJobsOwnParserAndMatchTheOverlayValues(Path overlay) throws Exception {
        Map<String, String> values = ValuesEnv.read(overlay.resolve("values.env"));
        JsonNode spec = Kustomize.only(Kustomize.render(overlay), "FlinkDeployment", null).path("spec");

        JobConfig config = JobConfigParser.parse(jobArgs(spec), Map.of()).config();

        assertThat(config.source()).isEqualTo(SourceKind.PUBSUB);
        assertThat(config.pubsub().subscription())
                .isEqualTo("projects/" + values.get("PROJECT_ID") + "/subscriptions/" + values.get("SUBSCRIPTION"));
        assertThat(config.pubsub().emulator()).as("no emulator endpoint in a deployment").isFalse();
        assertThat(config.bigquery()).isNotNull();
        assertThat(config.bigquery().projectId() + "." + config.bigquery().dataset() + "." + config.bigquery().table())
                .isEqualTo(values.get("OUT_BQ"));
        assertThat(config.bigquery().emulator()).isFalse();
        assertThat(config.output().outputDir()).isEqualTo(values.get("OUT_GCS")).startsWith("gs://");
        assertThat(config.model().model()).isEqualTo(values.get("MODEL_GCS_PATH")).startsWith("gs://");
        assertThat(config.model().labels()).isEqualTo(values.get("LABELS_GCS_PATH")).startsWith("gs://");
        assertThat(config.runtime().parallelism()).as("--parallelism=0: the FlinkDeployment's parallelism rules")
                .isZero();
        Duration clusterInterval = TimeUtils.parseDuration(flinkConfiguration(spec).get("execution.checkpointing.interval"));
        assertThat(config.runtime().checkpointInterval()).as("--checkpoint-interval vs execution.checkpointing.interval")
                .isEqualTo(clusterInterval);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void serviceAccountIsBoundToTheGcpServiceAccountAndToFlinksRole(Path overlay) throws Exception {
        Map<String, String> values = ValuesEnv.read(overlay.resolve("values.env"));
        List<JsonNode> docs = Kustomize.render(overlay);
        String ns = values.get("NAMESPACE");

        for (JsonNode d : docs) {
            assertThat(d.path("kind").asText()).as("no secrets or key files in the manifests").isNotEqualTo("Secret");
            assertThat(d.toString()).doesNotContain("GOOGLE_APPLICATION_CREDENTIALS").doesNotContain("secretName");
            if (!"Namespace".equals(d.path("kind").asText())) {
                assertThat(d.path("metadata").path("namespace").asText()).as(d.path("kind") + " namespace").isEqualTo(ns);
            }
        }
        assertThat(Kustomize.only(docs, "Namespace", ns)).isNotNull();

        JsonNode sa = Kustomize.only(docs, "ServiceAccount", KSA);
        String gsa = sa.path("metadata").path("annotations").path(WI_ANNOTATION).asText();
        assertThat(gsa).isEqualTo(values.get("GSA_EMAIL"))
                .matches("[a-z][a-z0-9-]{4,28}[a-z0-9]@" + values.get("PROJECT_ID").replace(".", "\\.")
                        + "\\.iam\\.gserviceaccount\\.com");
        assertThat(sa.path("automountServiceAccountToken").asBoolean(true))
                .as("Flink's native Kubernetes mode calls the API server with the pod's token").isTrue();

        JsonNode spec = Kustomize.only(docs, "FlinkDeployment", null).path("spec");
        assertThat(spec.path("serviceAccount").asText()).isEqualTo(KSA);
        assertThat(spec.path("image").asText()).isEqualTo(values.get("IMAGE"));
        JsonNode pod = spec.path("podTemplate").path("spec");
        assertThat(pod.path("nodeSelector").path("iam.gke.io/gke-metadata-server-enabled").asText()).isEqualTo("true");
        assertThat(pod.path("containers").get(0).path("name").asText()).isEqualTo("flink-main-container");

        JsonNode binding = Kustomize.only(docs, "RoleBinding", null);
        JsonNode role = Kustomize.only(docs, "Role", binding.path("roleRef").path("name").asText());
        assertThat(binding.path("subjects")).anySatisfy(s -> {
            assertThat(s.path("kind").asText()).isEqualTo("ServiceAccount");
            assertThat(s.path("name").asText()).isEqualTo(KSA);
            assertThat(s.path("namespace").asText()).isEqualTo(ns);
        });
        // Native mode: the JobManager manages TaskManager pods; Kubernetes HA: leader ConfigMaps.
        assertThat(grants(role, "pods")).contains("create", "delete", "watch", "list");
        assertThat(grants(role, "configmaps")).contains("create", "update", "delete", "watch", "get");
    }

    @Test
    void everyEnvironmentFieldOfTheBaseIsReplacedFromValuesEnv() throws Exception {
        Path root = RepoPaths.root();
        Map<String, String> example = ValuesEnv.read(root.resolve("k8s/overlays/example/values.env"));
        Map<String, String> other = new LinkedHashMap<>();
        example.forEach((k, v) -> other.put(k, v.replace("example-project", "acme-prod-42")));
        other.put("NAMESPACE", "ml-jobs");
        other.put("SUBSCRIPTION", "uploads-sub-7");
        other.put("CHECKPOINT_INTERVAL", "2min");
        // An overlay under target/, rendered like a real one (kustomize wants relative bases).
        Path overlay = root.resolve("flink-job/target/k8s-test-overlays/other");
        Files.createDirectories(overlay);
        Path rel = overlay.relativize(root.resolve("k8s"));
        Files.writeString(overlay.resolve("kustomization.yaml"),
                Files.readString(root.resolve("k8s/overlays/example/kustomization.yaml")).replace("../../", rel + "/"));
        ValuesEnv.write(overlay.resolve("values.env"), other);

        List<JsonNode> docs = Kustomize.render(overlay);
        String rendered = docs.toString();
        assertThat(rendered).doesNotContain("example-project").doesNotContain("image-uploads-classifier")
                .doesNotContain("30s").doesNotContain("\"namespace\":\"image-classifier\"");
        JsonNode spec = Kustomize.only(docs, "FlinkDeployment", null).path("spec");
        assertThat(crd.validate(Kustomize.only(docs, "FlinkDeployment", null))).isEmpty();
        JobConfig config = JobConfigParser.parse(jobArgs(spec), Map.of()).config();
        assertThat(config.pubsub().subscription()).isEqualTo("projects/acme-prod-42/subscriptions/uploads-sub-7");
        assertThat(config.runtime().checkpointInterval()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void dockerfileBakesTheJarWhereTheDeploymentLooksForIt() throws Exception {
        Path root = RepoPaths.root();
        String dockerfile = Files.readString(root.resolve("k8s/Dockerfile"));
        JsonNode spec = Kustomize.only(Kustomize.render(root.resolve("k8s/overlays/example")), "FlinkDeployment", null)
                .path("spec");
        String jarPath = spec.path("job").path("jarURI").asText().replaceFirst("^local://", "");
        assertThat(dockerfile).containsPattern("(?m)^COPY .*image-classifier\\.jar " + jarPath + "$")
                .containsPattern("(?m)^COPY .*onnxruntime\\.jar /opt/flink/lib/")
                .contains("/opt/flink/plugins/gs-fs-hadoop")
                .containsPattern("(?m)^ARG FLINK_IMAGE=flink:2\\.3\\.\\d+-");
        assertThat(spec.path("job").path("entryClass").asText()).isEqualTo(io.imageclassifier.ImageClassifierJob.class.getName());
    }

    /**
     * The autoscaling overlay: the same job as the example, with the operator's autoscaler on and
     * its delays longer than a rescale's restart (new pods, model load, JIT warm-up), and a max
     * parallelism that keeps savepoints of the plain deployment restorable.
     */
    @Test
    void autoscalingOverlayEnablesTheAutoscalerWithDelaysThatOutlastARestart() throws Exception {
        Path root = RepoPaths.root();
        JsonNode spec = Kustomize.only(Kustomize.render(root.resolve("k8s/overlays/autoscaling")), "FlinkDeployment",
                null).path("spec");
        JsonNode example = Kustomize.only(Kustomize.render(root.resolve("k8s/overlays/example")), "FlinkDeployment",
                null).path("spec");
        Map<String, String> conf = flinkConfiguration(spec);
        Map<String, String> base = flinkConfiguration(example);

        assertThat(conf).containsEntry("job.autoscaler.enabled", "true")
                .containsEntry("jobmanager.scheduler", "adaptive")
                // Flink's default for the base parallelism 4: keyed state stays restorable both ways.
                .containsEntry("pipeline.max-parallelism", "128");
        assertThat(base).doesNotContainKey("pipeline.max-parallelism");
        assertThat(org.apache.flink.runtime.state.KeyGroupRangeAssignment.computeDefaultMaxParallelism(
                spec.path("job").path("parallelism").asInt())).isEqualTo(128);
        assertThat(conf).containsAllEntriesOf(base);
        assertThat(spec.path("job")).isEqualTo(example.path("job"));

        Duration restart = duration(conf, "job.autoscaler.restart.time");
        assertThat(duration(conf, "job.autoscaler.stabilization.interval")).isGreaterThanOrEqualTo(restart);
        assertThat(duration(conf, "job.autoscaler.metrics.window")).isGreaterThanOrEqualTo(Duration.ofMinutes(5));
        assertThat(duration(conf, "job.autoscaler.scale-down.interval"))
                .isGreaterThanOrEqualTo(restart.multipliedBy(10));
        double target = Double.parseDouble(conf.get("job.autoscaler.utilization.target"));
        assertThat(target).isBetween(Double.parseDouble(conf.get("job.autoscaler.utilization.min")),
                Double.parseDouble(conf.get("job.autoscaler.utilization.max")));
        assertThat(Integer.parseInt(conf.get("job.autoscaler.vertex.max-parallelism"))).isBetween(1, 128);
    }

    private static Duration duration(Map<String, String> conf, String key) {
        assertThat(conf).containsKey(key);
        return TimeUtils.parseDuration(conf.get(key));
    }

    // ---- the checks above catch mistakes: they fail on broken manifests

    @Test
    void autoscalerCheckRejectsMisspeltAndRenamedKeysAndBadValues() {
        assertThat(AutoscalerKeys.check(Map.of(
                "job.autoscaler.enable", "true",
                "job.autoscaler.target.utilization", "0.7",
                "job.autoscaler.metrics.window", "ten minutes",
                "job.autoscaler.utilization.target", "high",
                "job.autoscaler.enabled", "true")))
                .hasSize(4);
    }

    @Test
    void schemaValidationRejectsMisspeltFieldsAndBadEnumValues() throws Exception {
        ObjectNode fd = (ObjectNode) Kustomize.only(Kustomize.render(RepoPaths.root().resolve("k8s/overlays/example")),
                "FlinkDeployment", null);
        ObjectNode job = (ObjectNode) fd.path("spec").path("job");
        job.put("upgradeMode", "savepoints");
        job.put("parallelizm", 4);
        ((ObjectNode) fd.path("spec")).put("flinkVersion", "v2_9");
        assertThat(String.join("\n", crd.validate(fd)))
                .contains("upgradeMode").contains("parallelizm").contains("flinkVersion");
    }

    @Test
    void configCheckRejectsFlink1KeysAndBadValues() {
        assertThat(flinkKeys.check(Map.of(
                "state.checkpoints.dir", "gs://b/c",
                "restart-strategy.exponential-delay.max-backoff", "five minutes",
                "execution.checkpointing.intervall", "30s")))
                .hasSize(3);
    }

    @Test
    void misspeltJobFlagFailsTheParser() throws Exception {
        JsonNode spec = Kustomize.only(Kustomize.render(RepoPaths.root().resolve("k8s/overlays/example")),
                "FlinkDeployment", null).path("spec");
        List<String> args = new ArrayList<>(List.of(jobArgs(spec)));
        args.replaceAll(a -> a.replace("--output-dir=", "--output-directory="));
        assertThatThrownBy(() -> JobConfigParser.parse(args.toArray(String[]::new), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--output-directory");
    }

    static Map<String, String> flinkConfiguration(JsonNode spec) {
        Map<String, String> conf = new LinkedHashMap<>();
        spec.path("flinkConfiguration").fields().forEachRemaining(e -> {
            assertThat(e.getValue().isValueNode()).as("flat flinkConfiguration value of " + e.getKey()).isTrue();
            conf.put(e.getKey(), e.getValue().asText());
        });
        return conf;
    }

    static String[] jobArgs(JsonNode spec) {
        ArrayNode args = (ArrayNode) spec.path("job").path("args");
        List<String> list = new ArrayList<>();
        args.forEach(a -> list.add(a.asText()));
        return list.toArray(String[]::new);
    }

    static List<String> grants(JsonNode role, String resource) {
        List<String> verbs = new ArrayList<>();
        for (JsonNode rule : role.path("rules")) {
            for (JsonNode r : rule.path("resources")) {
                if (resource.equals(r.asText())) {
                    rule.path("verbs").forEach(v -> verbs.add(v.asText()));
                }
            }
        }
        return verbs;
    }
}
