package io.imageclassifier.source.pubsub.enumerator;

import io.imageclassifier.source.pubsub.split.PubSubSplit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;

/**
 * Hands exactly one {@link PubSubSplit} to every registered reader. Pub/Sub balances messages
 * between the readers' StreamingPull streams itself, so there is nothing else to enumerate. A
 * split given back by a failed reader is dropped and the reader gets a fresh one when it
 * registers again.
 */
public final class PubSubSplitEnumerator implements SplitEnumerator<PubSubSplit, PubSubEnumeratorState> {

    private final String subscription;
    private final SplitEnumeratorContext<PubSubSplit> context;
    private final Map<Integer, PubSubSplit> assignments;

    public PubSubSplitEnumerator(String subscription, SplitEnumeratorContext<PubSubSplit> context,
            PubSubEnumeratorState restored) {
        this.subscription = subscription;
        this.context = context;
        this.assignments = new HashMap<>(restored.assignments());
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {}

    @Override
    public void addSplitsBack(List<PubSubSplit> splits, int subtaskId) {
        assignments.remove(subtaskId);
        assignUnassignedReaders();
    }

    @Override
    public void addReader(int subtaskId) {
        assignUnassignedReaders();
    }

    @Override
    public PubSubEnumeratorState snapshotState(long checkpointId) {
        return new PubSubEnumeratorState(assignments);
    }

    @Override
    public void close() {}

    private void assignUnassignedReaders() {
        Set<Integer> registered = context.registeredReaders().keySet();
        assignments.keySet().removeIf(subtask -> !registered.contains(subtask));
        Map<Integer, List<PubSubSplit>> fresh = new HashMap<>();
        for (int subtask : registered) {
            if (!assignments.containsKey(subtask)) {
                PubSubSplit split = new PubSubSplit(subscription, Integer.toString(subtask));
                assignments.put(subtask, split);
                fresh.put(subtask, List.of(split));
            }
        }
        if (!fresh.isEmpty()) {
            context.assignSplits(new SplitsAssignment<>(fresh));
        }
    }
}
