package io.imageclassifier.testing.fake;

import com.google.monitoring.v3.ListTimeSeriesRequest;
import com.google.monitoring.v3.ListTimeSeriesResponse;
import com.google.monitoring.v3.Point;
import com.google.monitoring.v3.TimeInterval;
import com.google.monitoring.v3.TimeSeries;
import com.google.monitoring.v3.TypedValue;
import com.google.protobuf.Timestamp;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Cloud Monitoring stand-in: a real gRPC server on a loopback port serving
 * {@code google.monitoring.v3.MetricService/ListTimeSeries} with what the test sets: a backlog value
 * for one subscription (as Pub/Sub publishes {@code num_undelivered_messages}), no data, or an
 * error status such as {@code PERMISSION_DENIED}. Requests are recorded. Only that method exists;
 * the service is built by hand from the proto messages, since the generated stub artifact
 * ({@code grpc-google-cloud-monitoring-v3}) of the libraries BOM's version is not served here.
 */
public final class FakeMonitoring implements AutoCloseable {

    static final MethodDescriptor<ListTimeSeriesRequest, ListTimeSeriesResponse> LIST_TIME_SERIES =
            MethodDescriptor.<ListTimeSeriesRequest, ListTimeSeriesResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(
                            "google.monitoring.v3.MetricService", "ListTimeSeries"))
                    .setRequestMarshaller(ProtoUtils.marshaller(ListTimeSeriesRequest.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(ListTimeSeriesResponse.getDefaultInstance()))
                    .build();

    private final Server server;
    private final List<ListTimeSeriesRequest> requests = new CopyOnWriteArrayList<>();
    private volatile ListTimeSeriesResponse response = ListTimeSeriesResponse.getDefaultInstance();
    private volatile Status error;

    private FakeMonitoring(Server server) {
        this.server = server;
    }

    /** Starts the fake on a free loopback port. */
    public static FakeMonitoring start() throws IOException {
        FakeMonitoring[] self = new FakeMonitoring[1];
        ServerServiceDefinition service = ServerServiceDefinition.builder("google.monitoring.v3.MetricService")
                .addMethod(LIST_TIME_SERIES, ServerCalls.asyncUnaryCall((request, observer) -> {
                    self[0].requests.add(request);
                    Status status = self[0].error;
                    if (status != null) {
                        observer.onError(status.asRuntimeException());
                    } else {
                        observer.onNext(self[0].response);
                        observer.onCompleted();
                    }
                }))
                .build();
        Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(service).build().start();
        self[0] = new FakeMonitoring(server);
        return self[0];
    }

    /** {@code host:port}, for {@code --monitoring-endpoint}. */
    public String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    /**
     * Answers with one time series of {@code subscriptionId}'s undelivered messages: the points
     * {@code (endMillis, value)}, in the given order.
     */
    public void backlog(String subscriptionId, long[][] points) {
        TimeSeries.Builder series = TimeSeries.newBuilder();
        series.getMetricBuilder().setType("pubsub.googleapis.com/subscription/num_undelivered_messages");
        series.getResourceBuilder().setType("pubsub_subscription").putLabels("subscription_id", subscriptionId);
        for (long[] p : points) {
            Timestamp end = Timestamp.newBuilder().setSeconds(p[0] / 1000).build();
            series.addPoints(Point.newBuilder().setInterval(TimeInterval.newBuilder().setEndTime(end))
                    .setValue(TypedValue.newBuilder().setInt64Value(p[1])));
        }
        response = ListTimeSeriesResponse.newBuilder().addTimeSeries(series).build();
        error = null;
    }

    /** Answers with no time series (the metric has no recent data). */
    public void noData() {
        response = ListTimeSeriesResponse.getDefaultInstance();
        error = null;
    }

    /** Fails every call with {@code status} (e.g. {@code Status.PERMISSION_DENIED}). */
    public void fail(Status status) {
        error = status;
    }

    public List<ListTimeSeriesRequest> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
