package io.imageclassifier.source.pubsub.backlog;

import java.io.Serializable;
import java.util.OptionalLong;

/** Reads a subscription's backlog (undelivered messages) from wherever it is published. */
public interface BacklogReader extends AutoCloseable {

    /**
     * The newest backlog value, or empty when the service has no recent data point.
     *
     * @throws Exception what the service answered; {@link BacklogPoller} sorts it
     */
    OptionalLong undeliveredMessages() throws Exception;

    @Override
    void close();

    /** Creates the reader on the JobManager; serializable so the source can ship it. */
    @FunctionalInterface
    interface Factory extends Serializable {
        BacklogReader create() throws Exception;
    }
}
