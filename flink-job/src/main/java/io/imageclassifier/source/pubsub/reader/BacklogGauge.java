package io.imageclassifier.source.pubsub.reader;

import io.imageclassifier.source.pubsub.backlog.BacklogEvent;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;

/**
 * The reader's standard {@code pendingRecords} gauge (what the autoscaler reads as the source's
 * lag): its share of the subscription's backlog from the enumerator's latest {@link BacklogEvent},
 * less the messages it emitted that wait for their checkpoint (the backlog counts them as
 * undelivered until acked, but they are no longer waiting for this job).
 *
 * <p>Registered with the first event, so the metric is absent until a backlog is known, and stays
 * absent when it never is (no {@code roles/monitoring.viewer}, an emulator): the autoscaler then
 * assumes no backlog, rather than reading a made-up one. A value older than the event's validity
 * reads 0 for the same reason.
 */
final class BacklogGauge {

    private final SourceReaderMetricGroup metricGroup;
    private final AckTracker acks;
    private final LongSupplier clock;
    private volatile long share;
    private volatile long validUntil = Long.MIN_VALUE;
    private boolean registered;

    BacklogGauge(SourceReaderMetricGroup metricGroup, AckTracker acks, LongSupplier clock) {
        this.metricGroup = metricGroup;
        this.acks = acks;
        this.clock = clock;
    }

    /** Task thread: a new backlog value arrived. */
    void update(BacklogEvent event) {
        share = event.share();
        validUntil = clock.getAsLong() + event.validForMillis();
        if (!registered) {
            registered = true;
            metricGroup.setPendingRecordsGauge(this::pendingRecords);
        }
    }

    /** Any thread (metrics). */
    long pendingRecords() {
        if (clock.getAsLong() > validUntil) {
            return 0;
        }
        return Math.max(0, share - acks.pending());
    }
}
