package io.imageclassifier.source.notification;

import io.imageclassifier.config.PubSubConfig;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.sink.DeadLetterOutput;
import io.imageclassifier.source.pubsub.PubSubMessage;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Turns Pub/Sub messages into {@link ObjectRef}s to classify. {@code OBJECT_FINALIZE} of a matching
 * name and content type goes on; other event types and names outside the prefix/suffix filter are
 * counted and dropped (their messages are acked like all others); malformed messages and
 * non-matching content types go to {@link #DEAD_LETTERS} with their message id.
 *
 * <p>Metrics, in group {@value #GROUP} of the operator: {@value #FINALIZED}, {@value #SKIPPED_EVENTS}
 * (and one counter per skipped event type, {@code skippedEvents_<TYPE>}), {@value #SKIPPED_BY_NAME},
 * {@value #WRONG_CONTENT_TYPE}, {@value #MALFORMED}.
 */
public final class NotificationFilterFunction extends ProcessFunction<PubSubMessage, ObjectRef> {

    private static final long serialVersionUID = 1L;

    /** Dead letters of this stage (stage {@code source}): the pipeline's one dead-letter side output. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = DeadLetterOutput.TAG;

    public static final String GROUP = "notifications";
    public static final String FINALIZED = "finalized";
    public static final String SKIPPED_EVENTS = "skippedEvents";
    public static final String SKIPPED_BY_NAME = "skippedByName";
    public static final String WRONG_CONTENT_TYPE = "unsupportedContentType";
    public static final String MALFORMED = "malformed";
    static final String STAGE = "source";

    private final ObjectFilter filter;

    private transient MetricGroup group;
    private transient Counter finalized;
    private transient Counter skippedEvents;
    private transient Counter skippedByName;
    private transient Counter wrongContentType;
    private transient Counter malformed;
    private transient Map<String, Counter> perEventType;

    public NotificationFilterFunction(String contentTypePrefix, String namePrefix, String nameSuffix) {
        this.filter = new ObjectFilter(contentTypePrefix, namePrefix, nameSuffix);
    }

    /** With the filters of the job's Pub/Sub settings. */
    public static NotificationFilterFunction of(PubSubConfig config) {
        return new NotificationFilterFunction(config.contentTypePrefix(), config.namePrefix(), config.nameSuffix());
    }

    @Override
    public void open(OpenContext openContext) {
        group = getRuntimeContext().getMetricGroup().addGroup(GROUP);
        finalized = group.counter(FINALIZED);
        skippedEvents = group.counter(SKIPPED_EVENTS);
        skippedByName = group.counter(SKIPPED_BY_NAME);
        wrongContentType = group.counter(WRONG_CONTENT_TYPE);
        malformed = group.counter(MALFORMED);
        perEventType = new HashMap<>();
    }

    @Override
    public void processElement(PubSubMessage message, Context ctx, Collector<ObjectRef> out) {
        GcsNotification n = GcsNotificationParser.parse(message, System.currentTimeMillis());
        if (n instanceof GcsNotification.Malformed m) {
            malformed.inc();
            ctx.output(DEAD_LETTERS, new DeadLetter(m.name(), DeadLetterReason.MALFORMED_MESSAGE.code(), m.problem(),
                    m.bucket(), m.generation(), STAGE, m.messageId(), System.currentTimeMillis()));
        } else if (n instanceof GcsNotification.OtherEvent other) {
            skippedEvents.inc();
            perEventType.computeIfAbsent(other.eventType().replaceAll("[^A-Za-z0-9_]", "_"),
                    type -> group.counter(SKIPPED_EVENTS + "_" + type)).inc();
        } else if (n instanceof GcsNotification.Finalized f) {
            ObjectRef ref = f.ref();
            switch (filter.check(ref)) {
                case SKIP_NAME -> skippedByName.inc();
                case UNSUPPORTED_CONTENT_TYPE -> {
                    wrongContentType.inc();
                    ctx.output(DEAD_LETTERS, DeadLetter.of(ref, DeadLetterReason.UNSUPPORTED_CONTENT_TYPE,
                            filter.contentTypeProblem(ref), STAGE));
                }
                case CLASSIFY -> {
                    finalized.inc();
                    out.collect(ref);
                }
            }
        }
    }
}
