package io.imageclassifier.source.pubsub.reader;

import com.google.cloud.pubsub.v1.AckReplyConsumer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Per-checkpoint ack bookkeeping of one reader. A message emitted before checkpoint {@code n}'s
 * barrier is part of that checkpoint; it is acknowledged when checkpoint {@code n} (or any later
 * one, which subsumes it) completes, never earlier. So a failure before completion leaves it
 * unacknowledged and Pub/Sub redelivers it: at-least-once.
 *
 * <p>It also counts what it holds in messages and bytes: the client's flow control counts exactly
 * these (handed to the receiver, not yet acked or nacked), see {@link FlowControlWatch}.
 *
 * <p>Not thread-safe: the reader calls it from the task thread only ({@code pollNext},
 * {@code snapshotState}, {@code notifyCheckpointComplete}, {@code close}); {@link #pending()} and
 * {@link #pendingBytes()} may be read from any thread (metrics).
 */
public final class AckTracker {

    /** The messages of one checkpoint (or of the open interval since the last one). */
    private static final class Group {
        final List<AckReplyConsumer> consumers = new ArrayList<>();
        long bytes;
    }

    private Group sinceLastCheckpoint = new Group();
    private final NavigableMap<Long, Group> byCheckpoint = new TreeMap<>();
    private volatile int pending;
    private volatile long pendingBytes;

    /** Remembers a message of {@code bytes} (its serialized size) that was emitted downstream. */
    public void add(AckReplyConsumer consumer, long bytes) {
        sinceLastCheckpoint.consumers.add(consumer);
        sinceLastCheckpoint.bytes += bytes;
        pending++;
        pendingBytes += bytes;
    }

    /** Seals the messages emitted since the previous checkpoint into checkpoint {@code checkpointId}. */
    public void onCheckpoint(long checkpointId) {
        if (!sinceLastCheckpoint.consumers.isEmpty()) {
            Group group = byCheckpoint.computeIfAbsent(checkpointId, id -> new Group());
            group.consumers.addAll(sinceLastCheckpoint.consumers);
            group.bytes += sinceLastCheckpoint.bytes;
            sinceLastCheckpoint = new Group();
        }
    }

    /**
     * Acknowledges every message of checkpoints up to and including {@code checkpointId}.
     *
     * @return how many messages were acknowledged
     */
    public int onCheckpointComplete(long checkpointId) {
        int acked = 0;
        long bytes = 0;
        Iterator<Group> it = byCheckpoint.headMap(checkpointId, true).values().iterator();
        while (it.hasNext()) {
            Group group = it.next();
            for (AckReplyConsumer consumer : group.consumers) {
                consumer.ack();
                acked++;
            }
            bytes += group.bytes;
            it.remove();
        }
        pending -= acked;
        pendingBytes -= bytes;
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
        List<Group> groups = new ArrayList<>(byCheckpoint.values());
        groups.add(sinceLastCheckpoint);
        for (Group group : groups) {
            for (AckReplyConsumer consumer : group.consumers) {
                consumer.nack();
                nacked++;
            }
        }
        byCheckpoint.clear();
        sinceLastCheckpoint = new Group();
        pending = 0;
        pendingBytes = 0;
        return nacked;
    }

    /** Messages emitted and not yet acknowledged or nacked. */
    public int pending() {
        return pending;
    }

    /** Serialized bytes of the messages emitted and not yet acknowledged or nacked. */
    public long pendingBytes() {
        return pendingBytes;
    }
}
