package io.imageclassifier.dedupe;

import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Lets the first {@link ObjectRef} of each key ({@link ObjectRef#key()}: {@code bucket/name#version})
 * through and drops every later one, before any download: a redelivered or duplicated notification
 * costs neither a fetch nor an inference. The "seen" mark is checkpointed keyed state that expires
 * {@code ttl} after it was written, so the state stays bounded; a redelivery older than the TTL is
 * classified again.
 *
 * <p>Why this is exactly-once together with the source: the mark and the effects of the element
 * (in-flight fetch, sink pre-commits) are in the same checkpoint. After a restore, a message whose
 * checkpoint completed is dropped here; one whose checkpoint did not is processed again from a state
 * without its mark.
 *
 * <p>Metric: {@code <operator>.dedupe.}{@value #DUPLICATES_DROPPED} (counter).
 */
public final class DedupeFunction extends KeyedProcessFunction<String, ObjectRef, ObjectRef> {

    private static final long serialVersionUID = 1L;
    public static final String GROUP = "dedupe";
    public static final String DUPLICATES_DROPPED = "duplicatesDropped";

    private final Duration ttl;
    private transient ValueState<Boolean> seen;
    private transient Counter duplicatesDropped;

    public DedupeFunction(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("dedupe TTL must be positive, was " + ttl);
        }
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        seen = getRuntimeContext().getState(descriptor);
        duplicatesDropped = getRuntimeContext().getMetricGroup().addGroup(GROUP).counter(DUPLICATES_DROPPED);
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
