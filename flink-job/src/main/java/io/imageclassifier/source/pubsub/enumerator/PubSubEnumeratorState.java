package io.imageclassifier.source.pubsub.enumerator;

import io.imageclassifier.source.pubsub.split.PubSubSplit;
import java.util.Map;

/**
 * Checkpointed state of {@link PubSubSplitEnumerator}: which subtask was last given which split. A
 * record only (splits carry no position, and readers ask for a split when they restore none); kept
 * so that savepoints taken with it stay readable (golden bytes in {@code StateContractTest}).
 */
public record PubSubEnumeratorState(Map<Integer, PubSubSplit> assignments) {
    public PubSubEnumeratorState {
        assignments = Map.copyOf(assignments);
    }
}
