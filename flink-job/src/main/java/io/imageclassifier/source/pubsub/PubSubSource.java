package io.imageclassifier.source.pubsub;

import io.imageclassifier.config.PubSubConfig;
import io.imageclassifier.source.pubsub.enumerator.PubSubEnumeratorState;
import io.imageclassifier.source.pubsub.enumerator.PubSubEnumeratorStateSerializer;
import io.imageclassifier.source.pubsub.enumerator.PubSubSplitEnumerator;
import io.imageclassifier.source.pubsub.reader.PubSubSourceReader;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import io.imageclassifier.source.pubsub.split.PubSubSplitSerializer;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * An unbounded FLIP-27 source of the messages of one Pub/Sub subscription (StreamingPull).
 *
 * <p>Guarantee: at-least-once. A message is acknowledged only after the checkpoint that covers it
 * completes; on failure it is nacked (or its lease runs out) and Pub/Sub redelivers it. Pub/Sub
 * itself may also deliver a message more than once. Exactly-once output rows come from the keyed
 * dedupe after this source plus exactly-once sinks, not from the source. Without checkpointing
 * nothing is ever acknowledged: the job requires checkpointing.
 */
public final class PubSubSource implements Source<PubSubMessage, PubSubSplit, PubSubEnumeratorState>,
        ResultTypeQueryable<PubSubMessage> {

    private static final long serialVersionUID = 1L;
    /** Upper bound of the hand-over queue between the client's threads and the task thread. */
    private static final int MAX_HANDOVER = 100_000;

    private final String subscription;
    private final SubscriberFactory subscriberFactory;
    private final int handoverCapacity;

    public PubSubSource(String subscription, SubscriberFactory subscriberFactory, long maxOutstandingMessages) {
        this.subscription = subscription;
        this.subscriberFactory = subscriberFactory;
        this.handoverCapacity = (int) Math.min(MAX_HANDOVER, Math.max(1, maxOutstandingMessages));
    }

    /** The job's source for these settings. */
    public static PubSubSource of(PubSubConfig config) {
        return new PubSubSource(config.subscription(), PubSubSubscribers.factory(config),
                config.maxOutstandingMessages());
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<PubSubSplit, PubSubEnumeratorState> createEnumerator(
            SplitEnumeratorContext<PubSubSplit> context) {
        return new PubSubSplitEnumerator(subscription, context, new PubSubEnumeratorState(Map.of()));
    }

    @Override
    public SplitEnumerator<PubSubSplit, PubSubEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<PubSubSplit> context, PubSubEnumeratorState state) {
        return new PubSubSplitEnumerator(subscription, context, state);
    }

    @Override
    public SimpleVersionedSerializer<PubSubSplit> getSplitSerializer() {
        return PubSubSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<PubSubEnumeratorState> getEnumeratorCheckpointSerializer() {
        return PubSubEnumeratorStateSerializer.INSTANCE;
    }

    @Override
    public SourceReader<PubSubMessage, PubSubSplit> createReader(SourceReaderContext context) {
        return new PubSubSourceReader(subscriberFactory, handoverCapacity, context);
    }

    @Override
    public TypeInformation<PubSubMessage> getProducedType() {
        return PubSubMessage.typeInfo();
    }
}
