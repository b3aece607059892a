package io.imageclassifier.classify;

import io.imageclassifier.record.DeadLetterReason;
import java.util.Objects;

/** An input that cannot be classified, with the dead-letter reason and a message for humans. */
public final class ImageRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final DeadLetterReason reason;

    public ImageRejectedException(DeadLetterReason reason, String message) {
        this(reason, message, null);
    }

    public ImageRejectedException(DeadLetterReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why: the stable code that goes to the dead-letter output. */
    public DeadLetterReason reason() {
        return reason;
    }
}
