package io.imageclassifier.source.pubsub.split;

import java.util.Objects;
import org.apache.flink.api.connector.source.SourceSplit;

/**
 * The right of one reader to pull from the subscription. A Pub/Sub subscription has no offsets:
 * the server remembers which messages are unacknowledged, so a split carries no position, only the
 * subscription and an id (the subtask it was made for). One split per reader.
 */
public final class PubSubSplit implements SourceSplit {

    private final String subscription;
    private final String id;

    public PubSubSplit(String subscription, String id) {
        this.subscription = Objects.requireNonNull(subscription, "subscription");
        this.id = Objects.requireNonNull(id, "id");
    }

    /** Full subscription name {@code projects/P/subscriptions/S}. */
    public String subscription() {
        return subscription;
    }

    @Override
    public String splitId() {
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PubSubSplit s && s.subscription.equals(subscription) && s.id.equals(id);
    }

    @Override
    public int hashCode() {
        return Objects.hash(subscription, id);
    }

    @Override
    public String toString() {
        return "PubSubSplit{" + subscription + ", id=" + id + "}";
    }
}
