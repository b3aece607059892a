package io.imageclassifier.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Keeps every task's {@code busyTimeMsPerSecond}, {@code idleTimeMsPerSecond} and
 * {@code backPressuredTimeMsPerSecond} gauges, the ones the autoscaler reads, so that the cloud
 * benchmark can sample them through a measured window ({@link Sampler}) and print what each task
 * looked like next to the CPU its thread actually used. Enabled with
 * {@code metrics.reporter.tasktime.factory.class: io.imageclassifier.bench.TaskTimeReporter$Factory}.
 */
public final class TaskTimeReporter implements MetricReporter {

    private record Entry(String task, int metric, Gauge<?> gauge) {}

    static final List<String> METRICS = List.of("busyTimeMsPerSecond", "idleTimeMsPerSecond",
            "backPressuredTimeMsPerSecond");
    private static final List<Entry> GAUGES = new CopyOnWriteArrayList<>();

    static int mark() {
        return GAUGES.size();
    }

    /** Samples the gauges of the tasks registered since a {@link #mark()} once a second until stopped. */
    static final class Sampler extends Thread {
        private final int from;
        private final Map<String, double[]> sums = new TreeMap<>(); // busy, idle, bp, samples
        private volatile boolean stopped;

        Sampler(int from) {
            super("bench-task-time");
            this.from = from;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!stopped) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                sample();
            }
        }

        private synchronized void sample() {
            for (Entry e : GAUGES.stream().skip(from).toList()) { // a snapshot: tasks register while this runs
                Object v = e.gauge().getValue();
                if (v instanceof Number n && !Double.isNaN(n.doubleValue())) {
                    double[] s = sums.computeIfAbsent(e.task(), k -> new double[METRICS.size() + 1]);
                    s[e.metric()] += n.doubleValue();
                    if (e.metric() == 0) {
                        s[METRICS.size()]++;
                    }
                }
            }
        }

        /** Stops; per task, the mean over samples and subtasks, as shares of a second. */
        synchronized String stopAndDescribe() {
            stopped = true;
            interrupt();
            StringBuilder sb = new StringBuilder();
            sums.forEach((task, s) -> {
                double n = Math.max(1, s[METRICS.size()]) * 1000;
                sb.append(String.format(Locale.ROOT, "TASKTIME busy=%.2f idle=%.2f backPressured=%.2f task=%s%n",
                        s[0] / n, s[1] / n, s[2] / n, task.replace(' ', '_')));
            });
            return sb.toString();
        }
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        int i = METRICS.indexOf(name);
        if (metric instanceof Gauge<?> g && i >= 0 && !group.getAllVariables().containsKey("<operator_name>")) {
            GAUGES.add(new Entry(group.getAllVariables().getOrDefault("<task_name>", "?"), i, g));
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    /** Found by Flink through {@code META-INF/services}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new TaskTimeReporter();
        }
    }
}
