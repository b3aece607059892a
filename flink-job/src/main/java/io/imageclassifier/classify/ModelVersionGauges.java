package io.imageclassifier.classify;

import java.util.HashSet;
import java.util.Set;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

/**
 * The {@code modelLoaded} gauges of one subtask: one series per (model, version) it has run, labelled
 * with both ({@code model=<name>}, {@code modelVersion=<version>}), 1 for the version it runs now
 * and 0 for those it ran before a swap. Registered when a version classifies its first image here,
 * since a watched model repository can swap versions without a restart.
 */
final class ModelVersionGauges {

    private final MetricGroup group;
    private final String metricName;
    private final Set<String> registered = new HashSet<>();
    private volatile String current;

    ModelVersionGauges(MetricGroup group, String metricName) {
        this.group = group;
        this.metricName = metricName;
    }

    /** Notes the version that classified the latest image; cheap when it did not change. */
    void observe(String modelName, String modelVersion) {
        String key = modelName + '\n' + modelVersion;
        if (key.equals(current)) {
            return;
        }
        current = key;
        if (registered.add(key)) {
            group.addGroup("model", modelName).addGroup("modelVersion", modelVersion)
                    .gauge(metricName, (Gauge<Integer>) () -> key.equals(current) ? 1 : 0);
        }
    }
}
