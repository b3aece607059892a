package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.ObjectRef;

/**
 * What a fetch produced: the object's bytes, or the reason it could not be read. One type for
 * both because an async function cannot emit to a side output; the classify stage routes
 * failures to the dead-letter output.
 *
 * @param retryPending a failed attempt that is worth another one: the async operator retries it
 *                     (see {@link FetchRetryStrategy}) until the retry budget is spent; only if it
 *                     still leaves the operator (the input ended first) does it become a dead letter
 */
public record FetchResult(ObjectRef ref, byte[] bytes, DeadLetter failure, boolean retryPending) {
    public FetchResult {
        if ((bytes == null) == (failure == null)) {
            throw new IllegalArgumentException("exactly one of bytes and failure must be set");
        }
        if (retryPending && failure == null) {
            throw new IllegalArgumentException("only a failure can be retried");
        }
    }

    public static FetchResult success(ObjectRef ref, byte[] bytes) {
        return new FetchResult(ref, bytes, null, false);
    }

    /** A final failure: it goes to dead-letter as it is. */
    public static FetchResult failure(ObjectRef ref, DeadLetter failure) {
        return new FetchResult(ref, null, failure, false);
    }

    /** A transient failure of one attempt: to be retried. */
    public static FetchResult retry(ObjectRef ref, DeadLetter failure) {
        return new FetchResult(ref, null, failure, true);
    }

    public boolean failed() {
        return failure != null;
    }
}
