package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetterReason;

/**
 * Why a read of one object failed, sorted: {@link #retryable()} failures (a 503, a refused
 * connection, a stalled download) are worth another attempt; the others (404, too large) are
 * final for this object and become its dead letter.
 */
public final class FetchException extends Exception {
    private static final long serialVersionUID = 1L;

    private final DeadLetterReason reason;
    private final boolean retryable;

    public FetchException(DeadLetterReason reason, boolean retryable, String message) {
        super(message);
        this.reason = reason;
        this.retryable = retryable;
    }

    public DeadLetterReason reason() {
        return reason;
    }

    public boolean retryable() {
        return retryable;
    }
}
