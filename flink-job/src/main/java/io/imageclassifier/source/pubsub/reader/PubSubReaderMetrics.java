package io.imageclassifier.source.pubsub.reader;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The source's own metrics, in the group {@value #GROUP} of the reader's metric group, e.g.
 * {@code <host>.taskmanager.<tm>.<job>.Source: pubsub.<subtask>.pubsub.messagesAcked}. The standard
 * {@code numRecordsIn}/{@code numRecordsOut} come from Flink, and the standard {@code pendingRecords}
 * (the subscription's backlog, for the autoscaler) from {@link BacklogGauge}.
 */
public final class PubSubReaderMetrics {
    public static final String GROUP = "pubsub";
    /** Messages handed downstream. */
    public static final String RECEIVED = "messagesReceived";
    /** Messages acknowledged after their checkpoint completed. */
    public static final String ACKED = "messagesAcked";
    /** Messages negatively acknowledged on close or failure (Pub/Sub redelivers them). */
    public static final String NACKED = "messagesNacked";
    /** Gauge: messages emitted and waiting for a checkpoint to complete. */
    public static final String PENDING_ACKS = "pendingAcks";
    /** Gauge: serialized bytes of those messages (what the client's byte flow control counts). */
    public static final String PENDING_ACK_BYTES = "pendingAckBytes";
    /**
     * Counter: milliseconds the reader had nothing to emit because the flow-control limit was
     * reached by messages waiting for their checkpoint ({@code ...pubsub.flowControlLimitedMs}; its
     * rate per second reads like Flink's {@code backPressuredTimeMsPerSecond}).
     */
    public static final String FLOW_CONTROL_LIMITED_MS = "flowControlLimitedMs";

    final Counter received;
    final Counter acked;
    final Counter nacked;
    final Counter flowControlLimitedMs;

    PubSubReaderMetrics(MetricGroup readerGroup, AckTracker tracker) {
        MetricGroup group = readerGroup.addGroup(GROUP);
        received = group.counter(RECEIVED);
        acked = group.counter(ACKED);
        nacked = group.counter(NACKED);
        flowControlLimitedMs = group.counter(FLOW_CONTROL_LIMITED_MS);
        group.gauge(PENDING_ACKS, tracker::pending);
        group.gauge(PENDING_ACK_BYTES, tracker::pendingBytes);
    }
}
