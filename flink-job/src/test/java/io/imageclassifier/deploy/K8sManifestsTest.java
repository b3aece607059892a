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
    static CrdSchemaValidator sessionJobCrd;
    static FlinkConfigKeys flinkKeys;

    @BeforeAll
    static void load() throws Exception {
        crd = CrdSchemaValidator.load(RepoPaths.flinkDeploymentCrd(), "v1beta1");
        sessionJobCrd = CrdSchemaValidator.load(RepoPaths.flinkSessionJobCrd(), "v1beta1");
        flinkKeys = FlinkConfigKeys.ofClasspath();
    }

    /** Every overlay the repository ships whose FlinkDeployment runs the job (application mode). */
    static Stream<Path> overlays() throws IOException {
        List<Path> list = allOverlays().stream().filter(d -> !isSession(d)).toList();
        assertThat(list).as("application overlays under k8s/overlays").isNotEmpty();
        return list.stream();
    }

    /** Every session-cluster overlay (components/session-job and session-cluster). */
    static Stream<Path> sessionOverlays() throws IOException {
        List<Path> list = allOverlays().stream().filter(K8sManifestsTest::isSession).toList();
        assertThat(list).as("session overlays under k8s/overlays").isNotEmpty();
        return list.stream();
    }

    private static List<Path> allOverlays() throws IOException {
        try (Stream<Path> dirs = Files.list(RepoPaths.root().resolve("k8s/overlays"))) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml"))).sorted().toList();
        }
    }

    private static boolean isSession(Path overlay) {
        try {
            return Files.readString(overlay.resolve("kustomization.yaml")).contains("components/session-job");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The session-cluster variant (issue #16: web-UI submission on GKE needs a session cluster): a
     * FlinkDeployment without {@code job}, valid against the operator's CRD and with the same Flink
     * configuration as the application one, plus a FlinkSessionJob, valid against its CRD, that runs
     * the job with exactly the application overlay's flags on that deployment.
     */
    @ParameterizedTest
    @MethodSource("sessionOverlays")
    void sessionOverlayIsASessionClusterPlusAFlinkSessionJobRunningTheSameJob(Path overlay) throws Exception {
        Map<String, String> values = ValuesEnv.read(overlay.resolve("values.env"));
        List<JsonNode> docs = Kustomize.render(overlay);
        JsonNode deployment = Kustomize.only(docs, "FlinkDeployment", null);
        assertThat(crd.validate(deployment)).as("FlinkDeployment CRD schema problems").isEmpty();
        assertThat(deployment.path("spec").has("job")).as("a session cluster has no job").isFalse();
        assertThat(flinkKeys.check(flinkConfiguration(deployment.path("spec")))).isEmpty();
        assertThat(flinkConfiguration(deployment.path("spec")))
                .containsEntry("execution.checkpointing.interval", values.get("CHECKPOINT_INTERVAL"))
                .containsEntry("execution.checkpointing.unaligned.enabled", "true");

        JsonNode sessionJob = Kustomize.only(docs, "FlinkSessionJob", null);
        assertThat(sessionJobCrd.validate(sessionJob)).as("FlinkSessionJob CRD schema problems").isEmpty();
        assertThat(sessionJob.path("metadata").path("namespace").asText()).isEqualTo(values.get("NAMESPACE"));
        assertThat(sessionJob.path("spec").path("deploymentName").asText())
                .isEqualTo(deployment.path("metadata").path("name").asText());
        JsonNode job = sessionJob.path("spec").path("job");
        assertThat(job.path("jarURI").asText()).isEqualTo(values.get("JAR_URI")).startsWith("https://");
        assertThat(job.path("entryClass").asText()).isEqualTo(io.imageclassifier.ImageClassifierJob.class.getName());
        assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(job.path("parallelism").asInt()).isPositive();

        // The same job as the application variant of the same values.
        JsonNode application = Kustomize.only(Kustomize.render(RepoPaths.root().resolve("k8s/overlays/example")),
                "FlinkDeployment", null).path("spec");
        Map<String, String> exampleValues = ValuesEnv.read(RepoPaths.root().resolve("k8s/overlays/example/values.env"));
        Map<String, String> sessionValues = new LinkedHashMap<>(values);
        sessionValues.remove("JAR_URI");
        assertThat(sessionValues).as("the example session overlay's values are the example's plus JAR_URI")
                .isEqualTo(exampleValues);
        assertThat(job.path("args")).isEqualTo(application.path("job").path("args"));
        JobConfig config = JobConfigParser.parse(jobArgs(sessionJob.path("spec")), Map.of()).config();
        assertThat(config.pubsub().subscription())
                .isEqualTo("projects/" + values.get("PROJECT_ID") + "/subscriptions/" + values.get("SUBSCRIPTION"));
        assertThat(config.runtime().checkpointInterval()).as("the session cluster's interval rules").isNull();
    }

    @Test
    void sessionJobSchemaValidationRejectsMisspeltFields() throws Exception {
        ObjectNode sessionJob = (ObjectNode) Kustomize.only(
                Kustomize.render(RepoPaths.root().resolve("k8s/overlays/example-session")), "FlinkSessionJob", null);
        ((ObjectNode) sessionJob.path("spec")).put("deployment", "image-classifier");
        ((ObjectNode) sessionJob.path("spec").path("job")).put("upgradeMode", "savepoints");
        assertThat(String.join("\n", sessionJobCrd.validate(sessionJob))).contains("deployment").contains("upgradeMode");
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
                .containsEntry("classloader.parent-first-patterns.additional", "ai.onnxruntime.")
                // Flink's REST API has no authentication: never a LoadBalancer (docs/operations.md).
                .containsEntry("kubernetes.rest-service.exposed.type", "ClusterIP");
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
        assertThat(config.model().labels()).as("no --labels: a converted model's sidecar labels must win").isNull();
        assertThat(config.model().fallbackLabels()).isEqualTo(values.get("LABELS_GCS_PATH")).startsWith("gs://");
        // Flink settings belong to the cluster (the flinkConfiguration): the job overrides none of them.
        assertThat(config.runtime().parallelism()).as("the FlinkDeployment's parallelism rules").isZero();
        assertThat(config.runtime().checkpointInterval()).as("no --checkpoint-interval").isNull();
        assertThat(config.runtime().unalignedCheckpoints()).as("no --[no-]unaligned-checkpoints").isNull();
        assertThat(config.runtime().bufferTimeout()).as("no --buffer-timeout").isNull();
        assertThat(config.runtime().checkpointDir()).as("no --checkpoint-dir").isNull();
        Map<String, String> conf = flinkConfiguration(spec);
        assertThat(TimeUtils.parseDuration(conf.get("execution.checkpointing.interval")))
                .isEqualTo(TimeUtils.parseDuration(values.get("CHECKPOINT_INTERVAL")));
        assertThat(conf).containsEntry("execution.checkpointing.unaligned.enabled", "true")
                .containsEntry("execution.buffer-timeout.interval", "10ms");
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
        assertThat(flinkConfiguration(spec)).containsEntry("execution.checkpointing.interval", "2min");
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
                .containsPattern("(?m)^ARG FLINK_IMAGE=flink:2\\.3\\.\\d+-")
                // The native decoders the job uses where installed (TurboJPEG, libheif, libwebp).
                .contains("libturbojpeg-java", "libheif1", "libwebp7");
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
