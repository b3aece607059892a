package io.imageclassifier.source.backfill;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.sink.DeadLetterOutput;
import io.imageclassifier.source.notification.ObjectFilter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Judges listed objects by the notifications' {@link ObjectFilter}: a content type outside
 * {@code --content-type-prefix} becomes the same {@code unsupported_content_type} dead letter as a
 * notified one (names were filtered by the listing already). Runs after the source because an
 * enumerator cannot emit dead letters.
 *
 * <p>Metrics, in group {@value #GROUP} of the operator: {@value #PASSED}, {@value #WRONG_CONTENT_TYPE}.
 */
public final class BackfillFilterFunction extends ProcessFunction<ObjectRef, ObjectRef> {

    private static final long serialVersionUID = 1L;

    public static final String GROUP = "backfill";
    /** Listed objects handed on to dedupe and fetch. */
    public static final String PASSED = "objectsPassed";
    public static final String WRONG_CONTENT_TYPE = "unsupportedContentType";
    static final String STAGE = "source";

    private final ObjectFilter filter;
    private transient Counter passed;
    private transient Counter wrongContentType;

    public BackfillFilterFunction(ObjectFilter filter) {
        this.filter = filter;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup(GROUP);
        passed = group.counter(PASSED);
        wrongContentType = group.counter(WRONG_CONTENT_TYPE);
    }

    @Override
    public void processElement(ObjectRef ref, Context ctx, Collector<ObjectRef> out) {
        if (filter.check(ref) == ObjectFilter.Verdict.UNSUPPORTED_CONTENT_TYPE) {
            wrongContentType.inc();
            ctx.output(DeadLetterOutput.TAG, DeadLetter.of(ref, DeadLetterReason.UNSUPPORTED_CONTENT_TYPE,
                    filter.contentTypeProblem(ref), STAGE));
        } else {
            passed.inc();
            out.collect(ref);
        }
    }
}
