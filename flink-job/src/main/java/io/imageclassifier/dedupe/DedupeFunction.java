package io.imageclassifier.dedupe;

import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Lets each object version through once. Keyed by {@link ObjectRef#key()} and placed before any
 * I/O, so a redelivered notification or a re-listed file costs neither a fetch nor an inference.
 * The "seen" flag is checkpointed keyed state with a TTL; it is restored together with the
 * source's position, so after a failure a replayed reference is let through exactly when its
 * output was not yet committed.
 *
 * <p>Metric: {@code <operator>.duplicatesDropped}.
 */
public final class DedupeFunction extends KeyedProcessFunction<String, ObjectRef, ObjectRef> {
    private static final long serialVersionUID = 1L;

    public static final String METRIC_DUPLICATES_DROPPED = "duplicatesDropped";

    private final Duration ttl;
    private transient ValueState<Boolean> seen;
    private transient Counter duplicatesDropped;

    public DedupeFunction(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Boolean.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        seen = getRuntimeContext().getState(descriptor);
        duplicatesDropped = getRuntimeContext().getMetricGroup().counter(METRIC_DUPLICATES_DROPPED);
    }

    @Override
    public void processElement(ObjectRef ref, Context ctx, Collector<ObjectRef> out) throws Exception {
        if (seen.value() != null) {
            duplicatesDropped.inc();
            return;
        }
        seen.update(Boolean.TRUE);
        out.collect(ref);
    }
}
