package io.imageclassifier.source.backfill.split;

import io.imageclassifier.record.ObjectRef;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.connector.source.SourceSplit;

/**
 * A batch of listed objects for one reader, and how many of them the reader has already emitted.
 * Immutable: the reader makes a new one with its position when it checkpoints.
 *
 * @param objects the references as the listing produced them (the same fields a notification gives)
 * @param emitted how many of them were emitted before the checkpoint
 */
public record BackfillSplit(String splitId, List<ObjectRef> objects, int emitted) implements SourceSplit {
    public BackfillSplit {
        Objects.requireNonNull(splitId, "splitId");
        objects = List.copyOf(objects);
        if (emitted < 0 || emitted > objects.size()) {
            throw new IllegalArgumentException("emitted " + emitted + " of " + objects.size() + " objects");
        }
    }

    /** The same objects, {@code emitted} of them already emitted. */
    public BackfillSplit withEmitted(int emitted) {
        return new BackfillSplit(splitId, objects, emitted);
    }

    /** The objects not emitted yet. */
    public List<ObjectRef> remaining() {
        return objects.subList(emitted, objects.size());
    }

    @Override
    public String toString() {
        return "BackfillSplit{" + splitId + ", " + emitted + "/" + objects.size() + " emitted}";
    }
}
