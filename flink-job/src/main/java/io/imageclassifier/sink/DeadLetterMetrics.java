package io.imageclassifier.sink;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Counts dead letters by reason on their way to the dead-letter sink: one counter per reason
 * code, {@code <operator>.deadLetters.<code>}, all registered up front so dashboards see zeros.
 */
public final class DeadLetterMetrics extends RichMapFunction<DeadLetter, DeadLetter> {
    private static final long serialVersionUID = 1L;

    public static final String GROUP = "deadLetters";

    private transient Map<String, Counter> counters;

    @Override
    public void open(OpenContext openContext) {
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup(GROUP);
        counters = new HashMap<>();
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            counters.put(reason.code(), group.counter(reason.code()));
        }
    }

    @Override
    public DeadLetter map(DeadLetter deadLetter) {
        Counter counter = counters.get(deadLetter.reason());
        if (counter != null) {
            counter.inc();
        }
        return deadLetter;
    }
}
