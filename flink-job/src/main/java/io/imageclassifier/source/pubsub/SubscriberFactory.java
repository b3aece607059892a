package io.imageclassifier.source.pubsub;

import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Subscriber;
import java.io.Serializable;

/** Builds the client's {@link Subscriber} on the task manager; serializable so the source can ship it. */
@FunctionalInterface
public interface SubscriberFactory extends Serializable {
    Subscriber create(String subscription, MessageReceiver receiver);
}
