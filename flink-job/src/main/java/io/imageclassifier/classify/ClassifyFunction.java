package io.imageclassifier.classify;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelSettings;
import io.imageclassifier.fetch.FetchResult;
import io.imageclassifier.model.VersionedClassifier;
import io.imageclassifier.model.canary.CanaryRollout;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.DeadLetterOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Classifies fetched images: decode, preprocess, one inference on the TaskManager's shared ONNX
 * Runtime session, softmax/top-k. Chained after dedupe and fetch, and not keyed: it keeps no
 * per-key state, and after a rescale the async fetch's restored in-flight references are spread
 * over the new subtasks round-robin (operator state), not by key, so a keyed classify failed
 * there with "Key group N is not in KeyGroupRange" (found by scripts/chaos-soak.sh, rescale 2 -> 3).
 * Anything that is not a confident prediction (a failed fetch, an undecodable or oversized image, a
 * score under the threshold) goes to the dead-letter output.
 *
 * <p>Only {@link ImageRejectedException} is caught, on purpose: the classifier turns everything
 * the bytes of one image can cause (any exception or error in decoding and preprocessing) into one,
 * so a poison image is a dead letter and never a task failure that its redelivery would repeat
 * forever. What escapes is a fault of this process (an {@link InferenceFailedException} from a
 * broken session, a bug outside the image path): it fails the task, and the job restarts from its
 * last checkpoint instead of dead-lettering good images.
 *
 * <p>Metrics (on the {@code classify} operator's group): {@code imagesClassified},
 * {@code imagesRejected}; {@value #METRIC_DECODE_NANOS}, {@value #METRIC_PREPROCESS_NANOS} and
 * {@value #METRIC_INFERENCE_NANOS}, the nanoseconds spent in each step (their rates over
 * {@code imagesClassified}'s say where a subtask's time goes); and the histogram {@value #METRIC_SOURCE_TO_PREDICTION_MILLIS}: for each
 * prediction, the wall-clock milliseconds from the source first seeing the object
 * ({@link ObjectRef#seenAtMillis()}) to the prediction leaving this operator for the sinks, over the
 * last {@value #LATENCY_WINDOW} predictions of the subtask. Across machines it includes their clock
 * skew. Model swap and canary metrics: see {@link VersionedClassifier}.
 *
 * <p>The model version comes from a {@link VersionedClassifier}: fixed, or swapped without a restart
 * from a watched repository; each image is classified by one version, which its row names. Sampled
 * images also go to the canary candidate; the comparison leaves on {@link CanaryRollout#TAG}. The
 * versions in use are checkpointed ({@value #VERSIONS_STATE}, union list state) so that a restart that
 * finds the repository's current version refused keeps the version it ran at the checkpoint.
 */
public final class ClassifyFunction extends ProcessFunction<FetchResult, Prediction>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    static final String STAGE = "classify";
    public static final String METRIC_SOURCE_TO_PREDICTION_MILLIS = "sourceToPredictionMillis";
    static final int LATENCY_WINDOW = 10_000;
    public static final String METRIC_DECODE_NANOS = "decodeNanos";
    public static final String METRIC_PREPROCESS_NANOS = "preprocessNanos";
    public static final String METRIC_INFERENCE_NANOS = "inferenceNanos";
    /** Operator state: the model versions in use at a checkpoint. Part of the savepoint contract. */
    public static final String VERSIONS_STATE = "model-versions-in-use";

    /**
     * Gauge under the groups {@code model=<name>} and {@code modelVersion=<version>}: 1 for the model
     * version each subtask runs, 0 for versions it ran before a swap ({@link ModelVersionGauges}) (Prometheus:
     * {@code flink_taskmanager_job_task_operator_model_modelVersion_modelLoaded{model=..., modelVersion=...}}).
     */
    public static final String METRIC_MODEL_LOADED = "modelLoaded";

    private final ModelSettings settings;
    private final GcsConfig gcs;
    private transient VersionedClassifier classifier;
    private transient ListState<String> versionsInUse;
    private transient List<String> restoredVersions;
    private transient Counter classified;
    private transient Counter rejected;
    private transient Histogram latency;
    private transient Counter decodeNanos;
    private transient Counter preprocessNanos;
    private transient Counter inferenceNanos;
    private transient ModelVersionGauges modelLoaded;

    /** @param gcs how to read a {@code gs://} model or labels file */
    public ClassifyFunction(ModelSettings settings, GcsConfig gcs) {
        this.settings = settings;
        this.gcs = gcs;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        versionsInUse = context.getOperatorStateStore().getUnionListState(versionsDescriptor());
        restoredVersions = new ArrayList<>();
        versionsInUse.get().forEach(restoredVersions::add);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        versionsInUse.update(List.of(classifier.currentVersion()));
    }

    /** The descriptor of {@value #VERSIONS_STATE}. */
    public static ListStateDescriptor<String> versionsDescriptor() {
        return new ListStateDescriptor<>(VERSIONS_STATE, Types.STRING);
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        classifier = VersionedClassifier.open(settings, gcs, restoredVersions == null ? List.of() : restoredVersions);
        classifier.registerMetrics(getRuntimeContext().getMetricGroup());
        classified = getRuntimeContext().getMetricGroup().counter("imagesClassified");
        rejected = getRuntimeContext().getMetricGroup().counter("imagesRejected");
        latency = getRuntimeContext().getMetricGroup().histogram(METRIC_SOURCE_TO_PREDICTION_MILLIS,
                new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        decodeNanos = getRuntimeContext().getMetricGroup().counter(METRIC_DECODE_NANOS);
        preprocessNanos = getRuntimeContext().getMetricGroup().counter(METRIC_PREPROCESS_NANOS);
        inferenceNanos = getRuntimeContext().getMetricGroup().counter(METRIC_INFERENCE_NANOS);
        modelLoaded = new ModelVersionGauges(getRuntimeContext().getMetricGroup(), METRIC_MODEL_LOADED);
    }

    @Override
    public void processElement(FetchResult fetched, Context ctx, Collector<Prediction> out) {
        ObjectRef ref = fetched.ref();
        if (fetched.failed()) {
            ctx.output(DeadLetterOutput.TAG, fetched.failure());
            return;
        }
        ClassificationResult result;
        try {
            VersionedClassifier.Classified classified = classifier.classify(ref, fetched.bytes());
            result = classified.result();
            if (classified.canary() != null) {
                ctx.output(CanaryRollout.TAG, classified.canary());
            }
        } catch (ImageRejectedException e) {
            reject(ctx, ref, e.reason(), e.getMessage());
            return;
        }
        modelLoaded.observe(result.modelName(), result.modelVersion());
        decodeNanos.inc(result.decodeNanos());
        preprocessNanos.inc(result.preprocessNanos());
        inferenceNanos.inc(result.inferenceNanos());
        if (result.score() < settings.confidenceThreshold()) {
            reject(ctx, ref, DeadLetterReason.BELOW_CONFIDENCE_THRESHOLD, String.format(Locale.ROOT,
                    "top label '%s' scored %.4f, below --confidence-threshold %s", result.label(),
                    result.score(), settings.confidenceThreshold()));
            return;
        }
        classified.inc();
        Prediction prediction = toPrediction(ref, result);
        latency.update(Math.max(0, prediction.eventTimeMillis() - ref.seenAtMillis()));
        out.collect(prediction);
    }

    @Override
    public void close() throws Exception {
        if (classifier != null) {
            classifier.close();
        }
    }

    private void reject(Context ctx, ObjectRef ref, DeadLetterReason reason, String message) {
        rejected.inc();
        ctx.output(DeadLetterOutput.TAG, DeadLetter.of(ref, reason, message, STAGE));
    }

    static Prediction toPrediction(ObjectRef ref, ClassificationResult r) {
        return new Prediction(
                ref.bucket(),
                ref.name(),
                ref.contentType(),
                ref.size() < 0 ? null : Long.toString(ref.size()),
                ref.timeCreated(),
                ref.updated(),
                r.label(),
                r.score(),
                r.modelName(),
                System.currentTimeMillis(),
                r.labelIndex(),
                r.topK(),
                r.modelVersion(),
                ref.version(),
                ref.origin());
    }
}
