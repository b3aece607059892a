package io.imageclassifier.classify;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelSettings;
import io.imageclassifier.fetch.GcsModelFetcher;
import io.imageclassifier.fetch.FetchResult;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.DeadLetterOutput;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Classifies fetched images: decode, preprocess, one inference on the TaskManager's shared ONNX
 * Runtime session, softmax/top-k. Chained after dedupe and fetch, and not keyed: it keeps no
 * per-key state, and after a rescale the async fetch's restored in-flight references are spread
 * over the new subtasks round-robin (operator state), not by key, so a keyed classify failed
 * there with "Key group N is not in KeyGroupRange" (found by scripts/chaos-soak.sh, rescale 2 -> 3). Anything that is not a confident prediction (a failed fetch, an
 * undecodable or oversized image, a score under the threshold) goes to the dead-letter output.
 *
 * <p>Metrics (on the {@code classify} operator's group): {@code imagesClassified},
 * {@code imagesRejected}; {@value #METRIC_DECODE_NANOS}, {@value #METRIC_PREPROCESS_NANOS} and
 * {@value #METRIC_INFERENCE_NANOS}, the nanoseconds spent in each step (their rates over
 * {@code imagesClassified}'s say where a subtask's time goes); and the histogram {@value #METRIC_SOURCE_TO_PREDICTION_MILLIS}: for each
 * prediction, the wall-clock milliseconds from the source first seeing the object
 * ({@link ObjectRef#seenAtMillis()}) to the prediction leaving this operator for the sinks, over the
 * last {@value #LATENCY_WINDOW} predictions of the subtask. Across machines it includes their clock
 * skew.
 */
public final class ClassifyFunction extends ProcessFunction<FetchResult, Prediction> {
    private static final long serialVersionUID = 1L;
    static final String STAGE = "classify";
    public static final String METRIC_SOURCE_TO_PREDICTION_MILLIS = "sourceToPredictionMillis";
    static final int LATENCY_WINDOW = 10_000;
    public static final String METRIC_DECODE_NANOS = "decodeNanos";
    public static final String METRIC_PREPROCESS_NANOS = "preprocessNanos";
    public static final String METRIC_INFERENCE_NANOS = "inferenceNanos";

    private final ModelSettings settings;
    private final GcsConfig gcs;
    private transient ImageClassifier classifier;
    private transient Counter classified;
    private transient Counter rejected;
    private transient Histogram latency;
    private transient Counter decodeNanos;
    private transient Counter preprocessNanos;
    private transient Counter inferenceNanos;

    /** @param gcs how to read a {@code gs://} model or labels file */
    public ClassifyFunction(ModelSettings settings, GcsConfig gcs) {
        this.settings = settings;
        this.gcs = gcs;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        classifier = ImageClassifier.open(ModelConfig.from(settings), GcsModelFetcher.withLocalFallback(gcs),
                SharedModelRegistry.jvmWide());
        classified = getRuntimeContext().getMetricGroup().counter("imagesClassified");
        rejected = getRuntimeContext().getMetricGroup().counter("imagesRejected");
        latency = getRuntimeContext().getMetricGroup().histogram(METRIC_SOURCE_TO_PREDICTION_MILLIS,
                new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        decodeNanos = getRuntimeContext().getMetricGroup().counter(METRIC_DECODE_NANOS);
        preprocessNanos = getRuntimeContext().getMetricGroup().counter(METRIC_PREPROCESS_NANOS);
        inferenceNanos = getRuntimeContext().getMetricGroup().counter(METRIC_INFERENCE_NANOS);
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
            result = classifier.classify(fetched.bytes());
        } catch (ImageRejectedException e) {
            reject(ctx, ref, e.reason(), e.getMessage());
            return;
        }
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
                ref.source());
    }
}
