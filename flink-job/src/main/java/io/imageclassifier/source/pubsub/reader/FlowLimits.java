package io.imageclassifier.source.pubsub.reader;

import java.io.Serializable;

/**
 * The StreamingPull client's flow control of one reader: at most this many messages and bytes
 * handed to the reader and not yet acked or nacked. Because messages are acked when their
 * checkpoint completes, everything a reader emitted during a checkpoint interval counts.
 *
 * @param maxMessages at most this many messages; 0: no count limit (the byte limit rules)
 * @param maxBytes    at most this many bytes (serialized message size, as the client counts)
 */
public record FlowLimits(long maxMessages, long maxBytes) implements Serializable {

    /** The share of a limit from which the reader counts as held back by it. */
    static final double NEAR = 0.9;

    public FlowLimits {
        if (maxMessages < 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("flow limits must be positive (0 messages: no count limit)");
        }
    }

    /** Whether {@code messages}/{@code bytes} outstanding are close enough to a limit to stop the client. */
    boolean reached(long messages, long bytes) {
        return (maxMessages > 0 && messages >= NEAR * maxMessages) || bytes >= NEAR * maxBytes;
    }

    String describe() {
        return (maxMessages > 0 ? maxMessages + " messages / " : "no message limit / ") + mb(maxBytes);
    }

    static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
