package io.imageclassifier.source.pubsub;

import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController.LimitExceededBehavior;
import com.google.api.gax.core.InstantiatingExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.cloud.pubsub.v1.SubscriberShutdownSettings;
import io.grpc.ManagedChannelBuilder;
import io.imageclassifier.config.PubSubConfig;
import io.imageclassifier.source.pubsub.reader.FlowLimits;
import java.time.Duration;

/**
 * The {@link SubscriberFactory} of the job: StreamingPull with flow control by outstanding messages
 * and bytes, and lease extension up to {@link PubSubConfig#maxAckExtension()}. Application Default
 * Credentials for the real service; plaintext and no credentials for an emulator endpoint.
 *
 * <p>Why flow control is by bytes by default: the client counts a message from its hand-over to the
 * reader until it is acked or nacked, and the reader acks when the checkpoint after it completes,
 * so a reader holds every message of a checkpoint interval and a count limit caps the job at
 * {@code limit x readers / interval}: 1000 messages, the client's default, allowed 33 images/s per
 * reader at a 30 s interval. No count limit and 100 MB (~80,000 notifications) leaves a reader
 * room for hundreds of images per second at a one-minute interval, while still bounding what a
 * backpressured reader holds in memory. The reader logs and counts when the limit is reached.
 *
 * <p>Why the lease extension matters: a message is acknowledged only when the checkpoint after it
 * completes, so it stays leased for up to one checkpoint interval plus the checkpoint's duration.
 * The Subscriber keeps extending the lease in the background; {@code maxAckExtension} must exceed
 * the longest expected interval + checkpoint time, or Pub/Sub redelivers messages that are still in
 * flight (harmless for correctness thanks to dedupe, but wasted work).
 */
public final class PubSubSubscribers {

    private PubSubSubscribers() {}

    /** The flow-control limits the factory's subscribers use. */
    public static FlowLimits flowLimits(PubSubConfig config) {
        return new FlowLimits(config.maxOutstandingMessages(), config.maxOutstandingBytes());
    }

    /** A factory for the given settings. */
    public static SubscriberFactory factory(PubSubConfig config) {
        return (subscription, receiver) -> {
            Subscriber.Builder builder = Subscriber.newBuilder(subscription, receiver)
                    .setFlowControlSettings(FlowControlSettings.newBuilder()
                            .setMaxOutstandingElementCount(
                                    config.maxOutstandingMessages() > 0 ? config.maxOutstandingMessages() : null)
                            .setMaxOutstandingRequestBytes(config.maxOutstandingBytes())
                            .setLimitExceededBehavior(LimitExceededBehavior.Block)
                            .build())
                    .setMaxAckExtensionPeriodDuration(config.maxAckExtension())
                    .setParallelPullCount(1)
                    .setExecutorProvider(InstantiatingExecutorProvider.newBuilder()
                            .setExecutorThreadCount(2)
                            .build())
                    .setSubscriberShutdownSettings(SubscriberShutdownSettings.newBuilder()
                            .setMode(SubscriberShutdownSettings.ShutdownMode.NACK_IMMEDIATELY)
                            .setTimeout(Duration.ofSeconds(30))
                            .build());
            if (config.emulator()) {
                builder.setChannelProvider(InstantiatingGrpcChannelProvider.newBuilder()
                                .setEndpoint(config.endpoint())
                                .setChannelConfigurator(ManagedChannelBuilder::usePlaintext)
                                .build())
                        .setCredentialsProvider(NoCredentialsProvider.create());
            }
            return builder.build();
        };
    }
}
