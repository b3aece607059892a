package io.imageclassifier.source.pubsub;

import io.imageclassifier.config.PubSubConfig;
import io.imageclassifier.source.pubsub.backlog.BacklogPoller;
import io.imageclassifier.source.pubsub.backlog.BacklogReader;
import io.imageclassifier.source.pubsub.backlog.MonitoringBacklogReader;
import io.imageclassifier.source.pubsub.enumerator.PubSubEnumeratorState;
import io.imageclassifier.source.pubsub.enumerator.PubSubEnumeratorStateSerializer;
import io.imageclassifier.source.pubsub.enumerator.PubSubSplitEnumerator;
import io.imageclassifier.source.pubsub.reader.FlowLimits;
import io.imageclassifier.source.pubsub.reader.PubSubSourceReader;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import io.imageclassifier.source.pubsub.split.PubSubSplitSerializer;
import java.time.Duration;
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
 *
 * <p>With a {@link BacklogReader.Factory}, the enumerator reads the subscription's backlog and the
 * readers report it as the standard {@code pendingRecords} metric (for the autoscaler).
 */
public final class PubSubSource implements Source<PubSubMessage, PubSubSplit, PubSubEnumeratorState>,
        ResultTypeQueryable<PubSubMessage> {

    private static final long serialVersionUID = 1L;

    private final String subscription;
    private final SubscriberFactory subscriberFactory;
    private final FlowLimits flowLimits;
    private final BacklogReader.Factory backlog;
    private final Duration backlogInterval;

    /**
     * @param flowLimits      the client's flow control, which the readers watch
     * @param backlog         where the enumerator reads the backlog; null: nowhere
     * @param backlogInterval how often
     */
    public PubSubSource(String subscription, SubscriberFactory subscriberFactory, FlowLimits flowLimits,
            BacklogReader.Factory backlog, Duration backlogInterval) {
        this.subscription = subscription;
        this.subscriberFactory = subscriberFactory;
        this.flowLimits = flowLimits;
        this.backlog = backlog;
        this.backlogInterval = backlogInterval;
    }

    /** The job's source for these settings. */
    public static PubSubSource of(PubSubConfig config) {
        BacklogReader.Factory backlog = config.backlogEnabled()
                ? MonitoringBacklogReader.factory(config.subscription(), config.monitoringEndpoint())
                : null;
        return new PubSubSource(config.subscription(), PubSubSubscribers.factory(config),
                PubSubSubscribers.flowLimits(config), backlog, config.backlogPollInterval());
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<PubSubSplit, PubSubEnumeratorState> createEnumerator(
            SplitEnumeratorContext<PubSubSplit> context) {
        return restoreEnumerator(context, new PubSubEnumeratorState(Map.of()));
    }

    @Override
    public SplitEnumerator<PubSubSplit, PubSubEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<PubSubSplit> context, PubSubEnumeratorState state) {
        BacklogPoller poller = backlog == null ? null
                : new BacklogPoller(backlog, subscription, System::currentTimeMillis);
        return new PubSubSplitEnumerator(subscription, context, state, poller, backlogInterval);
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
        return new PubSubSourceReader(subscriberFactory, flowLimits, context);
    }

    @Override
    public TypeInformation<PubSubMessage> getProducedType() {
        return PubSubMessage.typeInfo();
    }
}
