package io.imageclassifier.source.pubsub.enumerator;

import io.imageclassifier.source.pubsub.backlog.BacklogEvent;
import io.imageclassifier.source.pubsub.backlog.BacklogPoller;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands one {@link PubSubSplit} to each reader that asks for one, and shares the subscription's
 * backlog out to the readers.
 *
 * <p>Splits: Pub/Sub balances messages between the readers' StreamingPull streams itself, so a
 * reader needs exactly one split and there is nothing else to enumerate. The reader is the one
 * that knows whether it has one: it restores its split from its own state, and asks
 * ({@code sendSplitRequest}) only when it restored none. So this enumerator answers requests and
 * never assigns on registration: after a restore with another parallelism (the autoscaler's
 * rescale) the split state is redistributed among the readers, and an assignment table kept here
 * could not tell which reader ended up without one. A split given back by a failed reader is
 * dropped; the reader asks again when it restarts without one.
 *
 * <p>Backlog: with a {@link BacklogPoller}, the subscription's undelivered messages are read every
 * {@code backlogInterval} on the coordinator's worker thread and sent to every registered reader
 * as a {@link BacklogEvent}; each reports its share as {@code pendingRecords}.
 */
public final class PubSubSplitEnumerator implements SplitEnumerator<PubSubSplit, PubSubEnumeratorState> {

    private static final Logger LOG = LoggerFactory.getLogger(PubSubSplitEnumerator.class);
    /** A reader stops reporting a backlog value after this many poll intervals without a new one. */
    static final int BACKLOG_VALID_POLLS = 5;

    private final String subscription;
    private final SplitEnumeratorContext<PubSubSplit> context;
    private final Map<Integer, PubSubSplit> assignments;
    private final BacklogPoller backlog;
    private final Duration backlogInterval;

    /** Without a backlog. */
    public PubSubSplitEnumerator(String subscription, SplitEnumeratorContext<PubSubSplit> context,
            PubSubEnumeratorState restored) {
        this(subscription, context, restored, null, Duration.ZERO);
    }

    /**
     * @param backlog         polled every {@code backlogInterval}; null: no backlog
     */
    public PubSubSplitEnumerator(String subscription, SplitEnumeratorContext<PubSubSplit> context,
            PubSubEnumeratorState restored, BacklogPoller backlog, Duration backlogInterval) {
        this.subscription = subscription;
        this.context = context;
        this.assignments = new HashMap<>(restored.assignments());
        this.backlog = backlog;
        this.backlogInterval = backlogInterval;
    }

    @Override
    public void start() {
        if (backlog != null) {
            long period = backlogInterval.toMillis();
            context.callAsync(backlog::poll, this::shareBacklog, 0, period);
            LOG.info("Polling the backlog of {} every {}", subscription, backlogInterval);
        }
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        PubSubSplit split = new PubSubSplit(subscription, Integer.toString(subtaskId));
        assignments.put(subtaskId, split);
        context.assignSplit(split, subtaskId);
    }

    @Override
    public void addSplitsBack(List<PubSubSplit> splits, int subtaskId) {
        assignments.remove(subtaskId);
    }

    @Override
    public void addReader(int subtaskId) {}

    @Override
    public PubSubEnumeratorState snapshotState(long checkpointId) {
        return new PubSubEnumeratorState(assignments);
    }

    @Override
    public void close() {
        if (backlog != null) {
            backlog.close();
        }
    }

    /** Coordinator thread: sends the backlog just read to every registered reader. */
    void shareBacklog(OptionalLong undelivered, Throwable error) {
        if (error != null) {
            LOG.warn("Backlog poll of {} failed", subscription, error);
            return;
        }
        if (undelivered.isEmpty()) {
            return;
        }
        int readers = context.currentParallelism();
        BacklogEvent event = new BacklogEvent(undelivered.getAsLong(), readers,
                backlogInterval.toMillis() * BACKLOG_VALID_POLLS);
        for (int subtask : context.registeredReaders().keySet()) {
            context.sendEventToSourceReader(subtask, event);
        }
    }
}
