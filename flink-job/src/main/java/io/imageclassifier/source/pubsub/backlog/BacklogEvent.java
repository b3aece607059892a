package io.imageclassifier.source.pubsub.backlog;

import org.apache.flink.api.connector.source.SourceEvent;

/**
 * The subscription's backlog, sent by the enumerator to every reader after each successful poll.
 *
 * @param undeliveredMessages the subscription's unacknowledged messages (Cloud Monitoring's
 *                            {@code num_undelivered_messages}; includes messages the readers hold)
 * @param readers             how many readers share it (the source's parallelism)
 * @param validForMillis      after this long without a newer event a reader stops reporting it
 */
public record BacklogEvent(long undeliveredMessages, int readers, long validForMillis) implements SourceEvent {

    /** This reader's share of the backlog (rounded up). */
    public long share() {
        int n = Math.max(1, readers);
        return (undeliveredMessages + n - 1) / n;
    }
}
