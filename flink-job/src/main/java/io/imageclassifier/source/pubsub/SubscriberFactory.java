package io.imageclassifier.source.pubsub;

import com.google.api.core.ApiService;
import com.google.cloud.pubsub.v1.MessageReceiver;
import java.io.Serializable;

/**
 * Builds the client's StreamingPull {@code Subscriber} on the task manager; serializable so the
 * source can ship it. Typed as the {@link ApiService} the reader drives (start, stop, failure), so
 * that reader tests can hand in a fake stream of messages.
 */
@FunctionalInterface
public interface SubscriberFactory extends Serializable {
    ApiService create(String subscription, MessageReceiver receiver);
}
