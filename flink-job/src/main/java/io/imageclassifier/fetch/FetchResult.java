package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.ImageBytes;
import io.imageclassifier.record.ObjectRef;
import java.util.Objects;

/**
 * Outcome of fetching one object version: its bytes, or the dead letter saying why not. An async
 * function cannot emit side outputs, so failures travel in-band and a following operator splits them.
 * Exactly one of {@code bytes} and {@code failure} is non-null.
 */
public record FetchResult(ObjectRef ref, byte[] bytes, DeadLetter failure) {

    public FetchResult {
        Objects.requireNonNull(ref, "ref");
        if ((bytes == null) == (failure == null)) {
            throw new IllegalArgumentException("exactly one of bytes and failure must be set");
        }
    }

    /** The object's content. */
    public static FetchResult ok(ObjectRef ref, byte[] bytes) {
        return new FetchResult(ref, Objects.requireNonNull(bytes, "bytes"), null);
    }

    /** The object could not be read; {@code failure} says why. */
    public static FetchResult failed(ObjectRef ref, DeadLetter failure) {
        return new FetchResult(ref, null, Objects.requireNonNull(failure, "failure"));
    }

    public boolean succeeded() {
        return bytes != null;
    }

    /** The content as the classifier's input; only when {@link #succeeded()}. */
    public ImageBytes toImageBytes() {
        if (bytes == null) {
            throw new IllegalStateException("fetch of " + ref.key() + " failed: " + failure.reason());
        }
        return new ImageBytes(ref, bytes);
    }
}
