package io.imageclassifier.model;

import io.imageclassifier.classify.ClassificationResult;
import io.imageclassifier.classify.ImageClassifier;
import io.imageclassifier.classify.ImageRejectedException;
import io.imageclassifier.classify.LoadedModel;
import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelSettings;
import io.imageclassifier.fetch.GcsModelFetcher;
import io.imageclassifier.model.canary.CanaryComparison;
import io.imageclassifier.model.canary.CanarySampler;
import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A subtask's classifier over swappable model versions: each image is classified entirely by the
 * version current when it starts (pinned for its duration, so its row's label, scores, name and
 * version come from one model), and for a sampled image also by the canary candidate.
 *
 * <p>Metrics (on the group it is given, the {@code classify} operator's): {@value #METRIC_MODEL_SWAPS}
 * (times this subtask moved to another version), {@value #METRIC_VERSIONS_REFUSED} (versions this
 * TaskManager refused at load: the same value on each of its subtasks), {@value #METRIC_CANARY_COMPARED},
 * {@value #METRIC_CANARY_AGREED}, and the histogram {@value #METRIC_CANARY_SCORE_SHIFT} (candidate top
 * score minus current top score, in thousandths, over the last {@value #SHIFT_WINDOW} comparisons).
 */
public final class VersionedClassifier implements AutoCloseable {

    public static final String METRIC_MODEL_SWAPS = "modelSwaps";
    public static final String METRIC_VERSIONS_REFUSED = "modelVersionsRefused";
    public static final String METRIC_CANARY_COMPARED = "canaryCompared";
    public static final String METRIC_CANARY_AGREED = "canaryAgreed";
    public static final String METRIC_CANARY_SCORE_SHIFT = "canaryScoreShiftPerMille";
    static final int SHIFT_WINDOW = 10_000;

    private final ModelSupply supply;
    private final ModelConfig config;
    private final CanarySampler sampler;
    private final Map<LoadedModel, ImageClassifier> classifiers = new IdentityHashMap<>();
    private ModelHandle lastCurrent;
    private ModelHandle lastCandidate;
    private Counter swaps;
    private Counter compared;
    private Counter agreed;
    private Histogram scoreShift;

    /** What one image got: the current version's result and, when sampled, the canary comparison. */
    public record Classified(ClassificationResult result, CanaryComparison canary) {}

    /**
     * @param sampler which images the candidate also classifies, or null for none
     */
    public VersionedClassifier(ModelSupply supply, ModelConfig config, CanarySampler sampler) {
        this.supply = supply;
        this.config = config;
        this.sampler = sampler;
    }

    /**
     * The job's classifier: the TaskManager's watcher of the model repository, or the one fixed model.
     *
     * @param restoredVersions versions in use at the restored checkpoint (kept if CURRENT's is refused)
     */
    public static VersionedClassifier open(ModelSettings settings, GcsConfig gcs, List<String> restoredVersions)
            throws IOException {
        ModelConfig config = ModelConfig.from(settings);
        if (!settings.rollout().watched()) {
            SharedModelRegistry.Lease lease = SharedModelRegistry.jvmWide().acquire(config,
                    GcsModelFetcher.withLocalFallback(gcs));
            return new VersionedClassifier(new FixedModel(lease), config, null);
        }
        ModelSupply supply = ModelWatchers.jvmWide().acquire(settings.rollout(), config, gcs, restoredVersions);
        CanarySampler sampler = settings.rollout().canary() ? new CanarySampler(settings.rollout().canaryFraction()) : null;
        return new VersionedClassifier(supply, config, sampler);
    }

    /** Registers this classifier's metrics on {@code group}. */
    public void registerMetrics(MetricGroup group) {
        swaps = group.counter(METRIC_MODEL_SWAPS);
        group.gauge(METRIC_VERSIONS_REFUSED, supply::refusedVersions);
        compared = group.counter(METRIC_CANARY_COMPARED);
        agreed = group.counter(METRIC_CANARY_AGREED);
        scoreShift = group.histogram(METRIC_CANARY_SCORE_SHIFT, new DescriptiveStatisticsHistogram(SHIFT_WINDOW));
    }

    /** Classifies one image with the current version, and with the candidate if it is sampled. */
    public Classified classify(ObjectRef ref, byte[] bytes) throws ImageRejectedException {
        try (ModelSet.Pinned pinned = ModelSet.pin(supply)) {
            noteVersions(pinned);
            ClassificationResult result = classifierFor(pinned.current()).classify(bytes);
            CanaryComparison canary = null;
            if (pinned.candidate() != null && sampler != null && sampler.sampled(ref.key())) {
                canary = compare(ref, result, pinned.candidate(), bytes);
            }
            return new Classified(result, canary);
        }
    }

    /** The version new images are classified with. */
    public String currentVersion() {
        return supply.models().current().version();
    }

    @Override
    public void close() {
        classifiers.clear();
        supply.close();
    }

    private CanaryComparison compare(ObjectRef ref, ClassificationResult result, ModelHandle candidate, byte[] bytes) {
        CanaryComparison c;
        try {
            c = CanaryComparison.of(ref, result, classifierFor(candidate).classify(bytes));
        } catch (ImageRejectedException e) {
            c = CanaryComparison.failed(ref, result, candidate.model().name(), candidate.version(), e.getMessage());
        }
        if (compared != null) {
            compared.inc();
            if (c.agree()) {
                agreed.inc();
            }
            scoreShift.update(Math.round(c.scoreShift() * 1000));
        }
        return c;
    }

    private void noteVersions(ModelSet.Pinned pinned) {
        if (pinned.current() == lastCurrent && pinned.candidate() == lastCandidate) {
            return;
        }
        if (lastCurrent != null && pinned.current() != lastCurrent && swaps != null) {
            swaps.inc();
        }
        lastCurrent = pinned.current();
        lastCandidate = pinned.candidate();
        // Buffers of versions no longer in use go; their sessions are closed by whoever published them.
        classifiers.keySet().removeIf(m -> m != lastCurrent.model()
                && (lastCandidate == null || m != lastCandidate.model()));
    }

    private ImageClassifier classifierFor(ModelHandle handle) {
        return classifiers.computeIfAbsent(handle.model(), m -> ImageClassifier.on(m, config));
    }
}
