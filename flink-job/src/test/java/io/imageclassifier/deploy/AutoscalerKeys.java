package io.imageclassifier.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * The Flink Kubernetes Operator's autoscaler options ({@code job.autoscaler.*}), with their types,
 * as the operator's {@code AutoScalerOptions} defines them (flink-autoscaler, release 1.14 / main
 * of 2026). The operator's jars are not served here, so this is a copy of the keys the manifests
 * may use; a key missing from it fails the test, to be added after checking the operator's source.
 * Deprecated names fail too.
 */
final class AutoscalerKeys {

    static final String PREFIX = "job.autoscaler.";

    private static final List<ConfigOption<?>> OPTIONS = List.of(
            ConfigOptions.key("job.autoscaler.enabled").booleanType().defaultValue(false),
            ConfigOptions.key("job.autoscaler.scaling.enabled").booleanType().defaultValue(true),
            ConfigOptions.key("job.autoscaler.metrics.window").durationType().defaultValue(Duration.ofMinutes(15)),
            ConfigOptions.key("job.autoscaler.stabilization.interval").durationType()
                    .defaultValue(Duration.ofMinutes(5)),
            ConfigOptions.key("job.autoscaler.utilization.target").doubleType().defaultValue(0.7),
            ConfigOptions.key("job.autoscaler.utilization.max").doubleType().noDefaultValue(),
            ConfigOptions.key("job.autoscaler.utilization.min").doubleType().noDefaultValue(),
            ConfigOptions.key("job.autoscaler.scale-down.interval").durationType().defaultValue(Duration.ofHours(1)),
            ConfigOptions.key("job.autoscaler.vertex.min-parallelism").intType().defaultValue(1),
            ConfigOptions.key("job.autoscaler.vertex.max-parallelism").intType().defaultValue(200),
            ConfigOptions.key("job.autoscaler.scale-down.max-factor").doubleType().defaultValue(0.6),
            ConfigOptions.key("job.autoscaler.scale-up.max-factor").doubleType().defaultValue(100000.),
            ConfigOptions.key("job.autoscaler.catch-up.duration").durationType().defaultValue(Duration.ofMinutes(30)),
            ConfigOptions.key("job.autoscaler.restart.time").durationType().defaultValue(Duration.ofMinutes(5)),
            ConfigOptions.key("job.autoscaler.restart.time-tracking.enabled").booleanType().defaultValue(false),
            ConfigOptions.key("job.autoscaler.restart.time-tracking.limit").durationType()
                    .defaultValue(Duration.ofMinutes(15)),
            ConfigOptions.key("job.autoscaler.backlog-processing.lag-threshold").durationType()
                    .defaultValue(Duration.ofMinutes(5)),
            ConfigOptions.key("job.autoscaler.memory.tuning.enabled").booleanType().defaultValue(false),
            ConfigOptions.key("job.autoscaler.history.max.count").intType().defaultValue(3),
            ConfigOptions.key("job.autoscaler.history.max.age").durationType().defaultValue(Duration.ofHours(24)));

    /** Names the operator still reads but has renamed. */
    static final Map<String, String> DEPRECATED = Map.of(
            "job.autoscaler.target.utilization", "job.autoscaler.utilization.target",
            "job.autoscaler.scale-up.grace-period", "job.autoscaler.scale-down.interval",
            "job.autoscaler.target.utilization.boundary", "job.autoscaler.utilization.min/max");

    private AutoscalerKeys() {}

    static ConfigOption<?> option(String key) {
        return OPTIONS.stream().filter(o -> o.key().equals(key)).findFirst().orElse(null);
    }

    /** Problems with the {@code job.autoscaler.*} keys of a flinkConfiguration map. */
    static List<String> check(Map<String, String> config) {
        List<String> problems = new ArrayList<>();
        Configuration conf = Configuration.fromMap(config);
        for (Map.Entry<String, String> e : config.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            if (DEPRECATED.containsKey(key)) {
                problems.add(key + " is deprecated: use " + DEPRECATED.get(key));
                continue;
            }
            ConfigOption<?> option = option(key);
            if (option == null) {
                problems.add(key + " is not an autoscaler option");
                continue;
            }
            try {
                conf.get(option);
            } catch (RuntimeException ex) {
                problems.add(key + ": invalid value '" + e.getValue() + "': " + ex.getMessage());
            }
        }
        return problems;
    }
}
