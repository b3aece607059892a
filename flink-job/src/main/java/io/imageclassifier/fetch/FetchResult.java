package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.ObjectRef;

/**
 * What a fetch produced: the object's bytes, or the reason it could not be read. One type for
 * both because an async function cannot emit to a side output; the classify stage routes
 * failures to the dead-letter output.
 */
public record FetchResult(ObjectRef ref, byte[] bytes, DeadLetter failure) {
    public FetchResult {
        if ((bytes == null) == (failure == null)) {
            throw new IllegalArgumentException("exactly one of bytes and failure must be set");
        }
    }

    public static FetchResult success(ObjectRef ref, byte[] bytes) {
        return new FetchResult(ref, bytes, null);
    }

    public static FetchResult failure(ObjectRef ref, DeadLetter failure) {
        return new FetchResult(ref, null, failure);
    }

    public boolean failed() {
        return failure != null;
    }
}
