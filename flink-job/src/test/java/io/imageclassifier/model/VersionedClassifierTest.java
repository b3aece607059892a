package io.imageclassifier.model;

import static io.imageclassifier.testing.ModelRepos.SAME_LABELS;
import static io.imageclassifier.testing.ModelRepos.SHIFTED_LABELS;
import static io.imageclassifier.testing.ModelRepos.UPPER_CASE_LABELS;
import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.classify.ClassificationResult;
import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.model.canary.CanaryComparison;
import io.imageclassifier.model.canary.CanarySampler;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.testing.ModelRepos;
import io.imageclassifier.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.flink.metrics.testutils.MetricListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A subtask's classifier over a watched repository: one version per image, canary comparisons, metrics. */
class VersionedClassifierTest {

    @TempDir Path repo;

    private final SharedModelRegistry registry = new SharedModelRegistry();
    private final MetricListener metrics = new MetricListener();
    private ModelWatcher watcher;
    private VersionedClassifier classifier;

    private VersionedClassifier classifier(double canaryFraction, String current, String candidate) throws Exception {
        ModelRepos.point(repo, "CURRENT", current);
        if (candidate != null) {
            ModelRepos.point(repo, "CANDIDATE", candidate);
        }
        ModelConfig config = ModelConfig.of(SharedData.model().toString(), null);
        watcher = new ModelWatcher(new ModelRepository(repo.toString()), config, ModelFetcher.local(),
                new LocalTextStore(), registry, canaryFraction > 0);
        watcher.start(List.of());
        classifier = new VersionedClassifier(watcher, config, canaryFraction > 0 ? new CanarySampler(canaryFraction) : null);
        classifier.registerMetrics(metrics.getMetricGroup());
        return classifier;
    }

    @AfterEach
    void close() {
        if (classifier != null) {
            classifier.close();
        }
        assertThat(registry.openSessions()).isZero();
    }

    private static ObjectRef ref(String name) {
        return new ObjectRef("local", "local", name, "1-1", 1, "image/png", null, null, null, 0);
    }

    private static byte[] coffee() throws Exception {
        return Files.readAllBytes(SharedData.photo("coffee.png"));
    }

    @Test
    void eachImageIsClassifiedByOneVersionWhichItsResultNames() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        VersionedClassifier c = classifier(0, "v1", null);

        ClassificationResult before = c.classify(ref("a.png"), coffee()).result();
        ModelRepos.point(repo, "CURRENT", "v2");
        watcher.poll();
        ClassificationResult after = c.classify(ref("b.png"), coffee()).result();

        assertThat(before.label()).isEqualTo("espresso");
        assertThat(before.modelVersion()).isEqualTo("v1");
        assertThat(before.modelName()).isEqualTo("mobilenet-v1");
        assertThat(after.label()).isEqualTo("ESPRESSO");
        assertThat(after.topK()).allSatisfy(e -> assertThat(e.label()).isUpperCase());
        assertThat(after.modelVersion()).isEqualTo("v2");
        assertThat(after.modelName()).isEqualTo("mobilenet-v2");
        assertThat(c.currentVersion()).isEqualTo("v2");
        assertThat(metrics.getCounter(VersionedClassifier.METRIC_MODEL_SWAPS)).hasValueSatisfying(
                n -> assertThat(n.getCount()).isEqualTo(1));
        assertThat(registry.openSessions()).as("v1 closed after its last image").isEqualTo(1);
    }

    @Test
    void sampledImagesAreComparedWithTheCandidate() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", SAME_LABELS);
        VersionedClassifier c = classifier(1.0, "v1", "v2");

        VersionedClassifier.Classified out = c.classify(ref("coffee.png"), coffee());

        assertThat(out.result().modelVersion()).isEqualTo("v1");
        CanaryComparison canary = out.canary();
        assertThat(canary.currentVersion()).isEqualTo("v1");
        assertThat(canary.candidateVersion()).isEqualTo("v2");
        assertThat(canary.candidateModelName()).isEqualTo("mobilenet-v2");
        assertThat(canary.candidateLabel()).isEqualTo("espresso");
        assertThat(canary.agree()).isTrue();
        assertThat(canary.scoreShift()).isEqualTo(0.0);
        assertThat(canary.name()).isEqualTo("coffee.png");
        assertThat(metrics.getCounter(VersionedClassifier.METRIC_CANARY_AGREED)).hasValueSatisfying(
                n -> assertThat(n.getCount()).isEqualTo(1));
    }

    @Test
    void aCandidateThatSaysSomethingElseDisagrees() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", SHIFTED_LABELS);
        VersionedClassifier c = classifier(1.0, "v1", "v2");

        CanaryComparison canary = c.classify(ref("coffee.png"), coffee()).canary();

        assertThat(canary.agree()).isFalse();
        assertThat(canary.candidateLabel()).isNotEqualTo("espresso");
        assertThat(metrics.getCounter(VersionedClassifier.METRIC_CANARY_COMPARED)).hasValueSatisfying(
                n -> assertThat(n.getCount()).isEqualTo(1));
        assertThat(metrics.getCounter(VersionedClassifier.METRIC_CANARY_AGREED)).hasValueSatisfying(
                n -> assertThat(n.getCount()).isZero());
    }

    @Test
    void onlyTheSampledShareIsComparedAndAlwaysTheSameImages() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", SAME_LABELS);
        VersionedClassifier c = classifier(0.3, "v1", "v2");
        CanarySampler sampler = new CanarySampler(0.3);

        for (int i = 0; i < 20; i++) {
            ObjectRef ref = ref("img-" + i + ".png");
            assertThat(c.classify(ref, coffee()).canary() != null).as(ref.key()).isEqualTo(sampler.sampled(ref.key()));
        }
    }

    @Test
    void refusedVersionsAreAGauge() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        UnaryOperator<List<String>> tooFew = l -> l.subList(0, 10);
        ModelRepos.addVersion(repo, "v2", tooFew);
        classifier(0, "v1", null);

        ModelRepos.point(repo, "CURRENT", "v2");
        watcher.poll();

        assertThat(metrics.<Integer>getGauge(VersionedClassifier.METRIC_VERSIONS_REFUSED)).hasValueSatisfying(
                g -> assertThat(g.getValue()).isEqualTo(1));
    }
}
