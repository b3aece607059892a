package io.imageclassifier.source.pubsub.reader;

import java.util.Locale;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices when the client's flow control, rather than the job, holds a reader back: the reader has
 * nothing to emit while the messages it emitted and has not acked yet (they wait for their
 * checkpoint) fill the limit, so Pub/Sub sends no more until a checkpoint completes. Such a reader
 * idles for part of every checkpoint interval whatever its CPUs.
 *
 * <p>It counts that time ({@link PubSubReaderMetrics#FLOW_CONTROL_LIMITED_MS}) and logs a WARN at
 * most once per {@link #LOG_EVERY_MILLIS}, with the limit and what this reader needs, estimated
 * from what it observed: its rate over the last checkpoint interval times (interval + time for the
 * checkpoint to complete). Task thread only.
 */
final class FlowControlWatch {

    private static final Logger LOG = LoggerFactory.getLogger(FlowControlWatch.class);
    static final long LOG_EVERY_MILLIS = 60_000;

    private final FlowLimits limits;
    private final Counter limitedMillis;
    private final LongSupplier clock;
    private final int subtask;

    private long stalledSince = -1;
    private long lastLog = -1;
    private long stalls;

    // What the reader observed of the checkpoint cadence.
    private long lastSnapshotAt = -1;
    private long lastSnapshotId = -1;
    private long emittedSinceSnapshot;
    private double lastRate = -1;
    private long lastIntervalMillis = -1;
    private long lastCompletionMillis = -1;

    FlowControlWatch(FlowLimits limits, Counter limitedMillis, LongSupplier clock, int subtask) {
        this.limits = limits;
        this.limitedMillis = limitedMillis;
        this.clock = clock;
        this.subtask = subtask;
    }

    /** The reader found nothing to emit while {@code messages}/{@code bytes} of its own await acks. */
    void idle(long messages, long bytes) {
        if (stalledSince >= 0 || !limits.reached(messages, bytes)) {
            return;
        }
        long now = clock.getAsLong();
        stalledSince = now;
        stalls++;
        if (lastLog < 0 || now - lastLog >= LOG_EVERY_MILLIS) {
            lastLog = now;
            LOG.warn(message(messages, bytes));
        }
    }

    /** The reader emitted a message: a stall, if any, is over. */
    void emitted() {
        emittedSinceSnapshot++;
        if (stalledSince >= 0) {
            limitedMillis.inc(Math.max(0, clock.getAsLong() - stalledSince));
            stalledSince = -1;
        }
    }

    void snapshot(long checkpointId) {
        long now = clock.getAsLong();
        if (lastSnapshotAt >= 0 && now > lastSnapshotAt) {
            lastIntervalMillis = now - lastSnapshotAt;
            lastRate = emittedSinceSnapshot * 1000.0 / lastIntervalMillis;
        }
        lastSnapshotAt = now;
        lastSnapshotId = checkpointId;
        emittedSinceSnapshot = 0;
    }

    void completed(long checkpointId) {
        if (checkpointId == lastSnapshotId) {
            lastCompletionMillis = clock.getAsLong() - lastSnapshotAt;
        }
    }

    /** How often the limit stopped this reader so far. */
    long stalls() {
        return stalls;
    }

    String message(long messages, long bytes) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "Pub/Sub flow control limits subtask %d: %d messages (%s) it emitted are still unacknowledged, "
                        + "waiting for their checkpoint, against a limit of %s, so Pub/Sub sends it nothing until "
                        + "a checkpoint completes.", subtask, messages, FlowLimits.mb(bytes), limits.describe()));
        if (lastRate >= 0 && lastIntervalMillis > 0) {
            double window = (lastIntervalMillis + Math.max(0, lastCompletionMillis)) / 1000.0;
            long neededMessages = (long) Math.ceil(lastRate * window);
            long neededBytes = messages == 0 ? 0 : (long) Math.ceil(neededMessages * (double) bytes / messages);
            sb.append(String.format(Locale.ROOT, " At the %.1f messages/s it emitted over the last checkpoint "
                            + "interval (%.1f s, the checkpoint completing %.1f s later) it needs at least %d messages "
                            + "(%s), more to go faster.", lastRate, lastIntervalMillis / 1000.0,
                    Math.max(0, lastCompletionMillis) / 1000.0, neededMessages, FlowLimits.mb(neededBytes)));
        }
        sb.append(" Raise --max-outstanding-messages / --max-outstanding-bytes, or shorten --checkpoint-interval.");
        return sb.toString();
    }
}
