package io.imageclassifier.bench;

import io.imageclassifier.classify.ClassifyFunction;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A metric reporter for the benchmark's in-process MiniCluster: it keeps every subtask's
 * {@link ClassifyFunction#METRIC_SOURCE_TO_PREDICTION_MILLIS} histogram so that their samples can
 * be read after the job has finished. Enabled with
 * {@code metrics.reporter.bench.factory.class: io.imageclassifier.bench.LatencyReporter$Factory}.
 */
public final class LatencyReporter implements MetricReporter {

    private static final List<Histogram> HISTOGRAMS = new CopyOnWriteArrayList<>();
    private static final List<Map.Entry<String, Counter>> STAGE_COUNTERS = new CopyOnWriteArrayList<>();
    private static final Set<String> STAGES = Set.of(ClassifyFunction.METRIC_DECODE_NANOS,
            ClassifyFunction.METRIC_PREPROCESS_NANOS, ClassifyFunction.METRIC_INFERENCE_NANOS, "imagesClassified");

    /** A position in the list of histograms: {@link #histogramsSince} from here excludes earlier jobs'. */
    static int histogramMark() {
        return HISTOGRAMS.size();
    }

    /** The latency histograms of the classify subtasks registered since {@code from}, as of now. */
    static List<Histogram> histogramsSince(int from) {
        // A stream of a CopyOnWriteArrayList reads one snapshot; a subList view of it would throw
        // ConcurrentModificationException once a subtask registers a metric while it is read.
        return HISTOGRAMS.stream().skip(from).toList();
    }

    /** Sum over all classify subtasks registered since {@code from} (a {@link #mark()}) of one counter. */
    static long stageTotal(String name, int from) {
        return STAGE_COUNTERS.stream().skip(from).filter(e -> e.getKey().equals(name))
                .mapToLong(e -> e.getValue().getCount()).sum();
    }

    /** A position in the list of counters: totals from here on exclude earlier jobs' subtasks. */
    static int mark() {
        return STAGE_COUNTERS.size();
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (metric instanceof Histogram h && ClassifyFunction.METRIC_SOURCE_TO_PREDICTION_MILLIS.equals(name)) {
            HISTOGRAMS.add(h);
        } else if (metric instanceof Counter c && STAGES.contains(name)
                && group.getAllVariables().getOrDefault("<operator_name>", "").contains("classify")) {
            STAGE_COUNTERS.add(Map.entry(name, c));
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // Kept: the samples are read after the job (and so its metric groups) has finished.
    }

    /** Found by Flink through {@code META-INF/services}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new LatencyReporter();
        }
    }
}
