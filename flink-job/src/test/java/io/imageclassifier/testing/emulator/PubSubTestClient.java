package io.imageclassifier.testing.emulator;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.PushConfig;
import com.google.pubsub.v1.ReceivedMessage;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Test-side Pub/Sub calls against the emulator: topics, subscriptions, publish, and a draining pull. */
public final class PubSubTestClient implements AutoCloseable {

    private final ManagedChannel channel;
    private final TransportChannelProvider channels;

    public PubSubTestClient(String hostPort) {
        channel = ManagedChannelBuilder.forTarget(hostPort).usePlaintext().build();
        channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    }

    public void createTopic(String topic) throws IOException {
        try (TopicAdminClient admin = TopicAdminClient.create(TopicAdminSettings.newBuilder()
                .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build())) {
            admin.createTopic(topic);
        }
    }

    /** A subscription with the shortest ack deadline (10 s), so unacked messages come back fast. */
    public void createSubscription(String subscription, String topic) throws IOException {
        try (SubscriptionAdminClient admin = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build())) {
            admin.createSubscription(subscription, topic, PushConfig.getDefaultInstance(), 10);
        }
    }

    /** A subscription with the given ack deadline (the benchmark's, like a deployment's). */
    public void createSubscription(String subscription, String topic, int ackDeadlineSeconds) throws IOException {
        try (SubscriptionAdminClient admin = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build())) {
            admin.createSubscription(subscription, topic, PushConfig.getDefaultInstance(), ackDeadlineSeconds);
        }
    }

    public void deleteSubscription(String subscription) throws IOException {
        try (SubscriptionAdminClient admin = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build())) {
            admin.deleteSubscription(subscription);
        }
    }

    /** Publishes one message and waits for its id. */
    public String publish(String topic, byte[] data, Map<String, String> attributes) throws Exception {
        Publisher publisher = Publisher.newBuilder(topic).setChannelProvider(channels)
                .setCredentialsProvider(NoCredentialsProvider.create()).build();
        try {
            return publisher.publish(PubsubMessage.newBuilder().setData(ByteString.copyFrom(data))
                    .putAllAttributes(attributes).build()).get(30, TimeUnit.SECONDS);
        } finally {
            publisher.shutdown();
            publisher.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Pulls (and acks) whatever the subscription delivers during {@code window}: after a job has
     * stopped, anything returned here was left unacknowledged by it.
     */
    public List<PubsubMessage> drain(String subscription, Duration window) throws Exception {
        List<PubsubMessage> got = new ArrayList<>();
        try (SubscriberStub stub = GrpcSubscriberStub.create(SubscriberStubSettings.newBuilder()
                .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build())) {
            long end = System.nanoTime() + window.toNanos();
            while (System.nanoTime() < end) {
                PullResponse response = stub.pullCallable().call(PullRequest.newBuilder()
                        .setSubscription(subscription).setMaxMessages(100).setReturnImmediately(true).build());
                List<String> ackIds = new ArrayList<>();
                for (ReceivedMessage m : response.getReceivedMessagesList()) {
                    got.add(m.getMessage());
                    ackIds.add(m.getAckId());
                }
                if (!ackIds.isEmpty()) {
                    stub.acknowledgeCallable().call(AcknowledgeRequest.newBuilder()
                            .setSubscription(subscription).addAllAckIds(ackIds).build());
                } else {
                    Thread.sleep(250);
                }
            }
        }
        return got;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
