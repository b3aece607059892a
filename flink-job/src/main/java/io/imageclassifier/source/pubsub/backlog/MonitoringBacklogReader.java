package io.imageclassifier.source.pubsub.backlog;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.monitoring.v3.MetricServiceClient;
import com.google.cloud.monitoring.v3.MetricServiceSettings;
import com.google.monitoring.v3.ListTimeSeriesRequest;
import com.google.monitoring.v3.Point;
import com.google.monitoring.v3.TimeInterval;
import com.google.monitoring.v3.TimeSeries;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * The backlog from Cloud Monitoring: the newest point of
 * {@value #METRIC} of one subscription, over the last {@link #LOOKBACK} (Pub/Sub's metrics are
 * sampled every 60 s and show up with a delay of a few minutes). Needs
 * {@code roles/monitoring.viewer} on the subscription's project.
 */
public final class MonitoringBacklogReader implements BacklogReader {

    public static final String METRIC = "pubsub.googleapis.com/subscription/num_undelivered_messages";
    static final Duration LOOKBACK = Duration.ofMinutes(10);

    private final MetricServiceClient client;
    private final String project;
    private final String subscriptionId;

    MonitoringBacklogReader(MetricServiceClient client, String project, String subscriptionId) {
        this.client = client;
        this.project = project;
        this.subscriptionId = subscriptionId;
    }

    /**
     * A factory for {@code subscription} ({@code projects/P/subscriptions/S}) against {@code endpoint}
     * ({@code host:port}, plaintext and no credentials, e.g. a fake), or against the real service
     * with Application Default Credentials when {@code endpoint} is null.
     */
    public static Factory factory(String subscription, String endpoint) {
        String[] parts = subscription.split("/");
        String project = parts[1];
        String id = parts[3];
        return () -> new MonitoringBacklogReader(client(endpoint), project, id);
    }

    private static MetricServiceClient client(String endpoint) throws IOException {
        MetricServiceSettings.Builder settings = MetricServiceSettings.newBuilder();
        if (endpoint != null && !endpoint.isBlank()) {
            settings.setEndpoint(endpoint)
                    .setCredentialsProvider(NoCredentialsProvider.create())
                    .setTransportChannelProvider(InstantiatingGrpcChannelProvider.newBuilder()
                            .setEndpoint(endpoint)
                            .setChannelConfigurator(ManagedChannelBuilder::usePlaintext)
                            .build());
        }
        return MetricServiceClient.create(settings.build());
    }

    @Override
    public OptionalLong undeliveredMessages() {
        long now = System.currentTimeMillis();
        ListTimeSeriesRequest request = ListTimeSeriesRequest.newBuilder()
                .setName("projects/" + project)
                .setFilter("metric.type = \"" + METRIC + "\" AND resource.type = \"pubsub_subscription\""
                        + " AND resource.labels.subscription_id = \"" + subscriptionId + "\"")
                .setInterval(TimeInterval.newBuilder()
                        .setStartTime(timestamp(now - LOOKBACK.toMillis()))
                        .setEndTime(timestamp(now)))
                .setView(ListTimeSeriesRequest.TimeSeriesView.FULL)
                .build();
        Point newest = null;
        for (TimeSeries series : client.listTimeSeries(request).iterateAll()) {
            for (Point point : series.getPointsList()) {
                if (newest == null || millis(point) > millis(newest)) {
                    newest = point;
                }
            }
        }
        return newest == null ? OptionalLong.empty() : OptionalLong.of(newest.getValue().getInt64Value());
    }

    private static Timestamp timestamp(long millis) {
        return Timestamp.newBuilder().setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
    }

    private static long millis(Point point) {
        Timestamp end = point.getInterval().getEndTime();
        return end.getSeconds() * 1000 + end.getNanos() / 1_000_000;
    }

    @Override
    public void close() {
        client.close();
    }
}
