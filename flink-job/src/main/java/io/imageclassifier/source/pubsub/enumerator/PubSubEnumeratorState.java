package io.imageclassifier.source.pubsub.enumerator;

import io.imageclassifier.source.pubsub.split.PubSubSplit;
import java.util.Map;

/**
 * Checkpointed state of {@link PubSubSplitEnumerator}: which subtask holds which split, so a
 * restored enumerator does not hand a second split to a reader that restores its own.
 */
public record PubSubEnumeratorState(Map<Integer, PubSubSplit> assignments) {
    public PubSubEnumeratorState {
        assignments = Map.copyOf(assignments);
    }
}
