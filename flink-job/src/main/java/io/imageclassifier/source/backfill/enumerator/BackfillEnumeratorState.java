package io.imageclassifier.source.backfill.enumerator;

import io.imageclassifier.record.ObjectRef;
import java.util.List;

/**
 * Checkpointed state of {@link BackfillEnumerator}: where the listing continues, and what it found
 * that no reader has yet. A restored enumerator lists on from {@code nextPageToken}, never from the
 * start; the readers' own checkpoints hold the objects they were given.
 *
 * @param nextPageToken the page to list next; null: the first page, or none when {@code listingDone}
 * @param listingDone   whether the last page has been listed
 * @param pending       objects listed and kept, not yet handed to a reader, in listing order
 * @param counts        progress so far
 * @param nextSplitId   the id of the next split, so ids stay unique across restores
 */
public record BackfillEnumeratorState(String nextPageToken, boolean listingDone, List<ObjectRef> pending,
        ListingCounts counts, long nextSplitId) {
    public BackfillEnumeratorState {
        pending = List.copyOf(pending);
    }

    /** Nothing listed yet. */
    public static BackfillEnumeratorState initial() {
        return new BackfillEnumeratorState(null, false, List.of(), ListingCounts.ZERO, 0);
    }
}
