package io.imageclassifier.source.pubsub.reader;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The source's own metrics, in the group {@value #GROUP} of the reader's metric group, e.g.
 * {@code <host>.taskmanager.<tm>.<job>.Source: pubsub.<subtask>.pubsub.messagesAcked}. The standard
 * {@code numRecordsIn}/{@code numRecordsOut} come from Flink.
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

    final Counter received;
    final Counter acked;
    final Counter nacked;

    PubSubReaderMetrics(MetricGroup readerGroup, AckTracker tracker) {
        MetricGroup group = readerGroup.addGroup(GROUP);
        received = group.counter(RECEIVED);
        acked = group.counter(ACKED);
        nacked = group.counter(NACKED);
        group.gauge(PENDING_ACKS, tracker::pending);
    }
}
