package io.imageclassifier.bench;

import io.imageclassifier.classify.ClassifyFunction;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** The latency histograms of all classify subtasks registered so far in this JVM. */
    static List<Histogram> histograms() {
        return HISTOGRAMS;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (metric instanceof Histogram h && ClassifyFunction.METRIC_SOURCE_TO_PREDICTION_MILLIS.equals(name)) {
            HISTOGRAMS.add(h);
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
