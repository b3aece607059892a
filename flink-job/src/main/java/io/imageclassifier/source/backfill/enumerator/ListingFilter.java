package io.imageclassifier.source.backfill.enumerator;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.notification.ObjectFilter;
import java.io.Serializable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * What the enumerator keeps of a listed page: the names the notifications' filter classifies
 * ({@link ObjectFilter#nameMatches}; the prefix is already the list request's), created at or after
 * {@code createdAfter}. The content type is judged after the source, by the same
 * {@link ObjectFilter} as for notifications, because a rejected one is a dead letter.
 *
 * @param names        the job's object filter
 * @param createdAfter only versions created at or after this (null: all)
 */
public record ListingFilter(ObjectFilter names, Instant createdAfter) implements Serializable {

    /** Why an object is not handed out. */
    public enum Verdict { KEEP, SKIP_NAME, SKIP_CREATED_BEFORE }

    public Verdict check(ObjectRef ref) {
        if (!names.nameMatches(ref.name())) {
            return Verdict.SKIP_NAME;
        }
        if (createdAfter != null && ref.timeCreated() != null && createdBefore(ref.timeCreated())) {
            return Verdict.SKIP_CREATED_BEFORE;
        }
        return Verdict.KEEP;
    }

    private boolean createdBefore(String timeCreated) {
        try {
            return OffsetDateTime.parse(timeCreated).toInstant().isBefore(createdAfter);
        } catch (DateTimeParseException e) {
            return false; // unknown age: classify rather than lose it
        }
    }
}
