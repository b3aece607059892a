package io.imageclassifier.source.backfill.enumerator;

/**
 * How far a backfill listing got, kept in the enumerator's checkpoints so that progress (metrics,
 * log lines) continues after a restart instead of starting again at zero.
 *
 * @param pages                list requests answered
 * @param listed               objects the listing returned (under the prefix)
 * @param skippedByName        of those, names outside {@code --name-suffix}
 * @param skippedCreatedBefore of those, versions created before {@code --backfill-created-after}
 * @param assigned             objects handed to readers
 */
public record ListingCounts(long pages, long listed, long skippedByName, long skippedCreatedBefore, long assigned) {

    public static final ListingCounts ZERO = new ListingCounts(0, 0, 0, 0, 0);

    /** After one more page of {@code objects} objects, of which {@code byName} and {@code byAge} were skipped. */
    public ListingCounts plusPage(int objects, int byName, int byAge) {
        return new ListingCounts(pages + 1, listed + objects, skippedByName + byName, skippedCreatedBefore + byAge,
                assigned);
    }

    /** After {@code n} more objects were handed to readers. */
    public ListingCounts plusAssigned(int n) {
        return new ListingCounts(pages, listed, skippedByName, skippedCreatedBefore, assigned + n);
    }
}
