package io.imageclassifier.source.pubsub.reader;

import com.google.cloud.pubsub.v1.AckReplyConsumer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Per-checkpoint ack bookkeeping of one reader. A message emitted before checkpoint {@code n}'s
 * barrier is part of that checkpoint; it is acknowledged when checkpoint {@code n} (or any later
 * one, which subsumes it) completes, never earlier. So a failure before completion leaves it
 * unacknowledged and Pub/Sub redelivers it: at-least-once.
 *
 * <p>Not thread-safe: the reader calls it from the task thread only ({@code pollNext},
 * {@code snapshotState}, {@code notifyCheckpointComplete}, {@code close}); {@link #pending()} may be
 * read from any thread (metrics).
 */
public final class AckTracker {

    private List<AckReplyConsumer> sinceLastCheckpoint = new ArrayList<>();
    private final NavigableMap<Long, List<AckReplyConsumer>> byCheckpoint = new TreeMap<>();
    private volatile int pending;

    /** Remembers a message that was emitted downstream. */
    public void add(AckReplyConsumer consumer) {
        sinceLastCheckpoint.add(consumer);
        pending++;
    }

    /** Seals the messages emitted since the previous checkpoint into checkpoint {@code checkpointId}. */
    public void onCheckpoint(long checkpointId) {
        if (!sinceLastCheckpoint.isEmpty()) {
            byCheckpoint.computeIfAbsent(checkpointId, id -> new ArrayList<>()).addAll(sinceLastCheckpoint);
            sinceLastCheckpoint = new ArrayList<>();
        }
    }

    /**
     * Acknowledges every message of checkpoints up to and including {@code checkpointId}.
     *
     * @return how many messages were acknowledged
     */
    public int onCheckpointComplete(long checkpointId) {
        int acked = 0;
        Iterator<Map.Entry<Long, List<AckReplyConsumer>>> it =
                byCheckpoint.headMap(checkpointId, true).entrySet().iterator();
        while (it.hasNext()) {
            for (AckReplyConsumer consumer : it.next().getValue()) {
                consumer.ack();
                acked++;
            }
            it.remove();
        }
        pending -= acked;
        return acked;
    }

    /**
     * Negatively acknowledges everything not yet acknowledged (on close or failure), so Pub/Sub
     * redelivers it at once instead of after the lease runs out.
     *
     * @return how many messages were nacked
     */
    public int nackAll() {
        int nacked = 0;
        for (List<AckReplyConsumer> group : byCheckpoint.values()) {
            for (AckReplyConsumer consumer : group) {
                consumer.nack();
                nacked++;
            }
        }
        for (AckReplyConsumer consumer : sinceLastCheckpoint) {
            consumer.nack();
            nacked++;
        }
        byCheckpoint.clear();
        sinceLastCheckpoint = new ArrayList<>();
        pending -= nacked;
        return nacked;
    }

    /** Messages emitted and not yet acknowledged or nacked. */
    public int pending() {
        return pending;
    }
}
