package io.imageclassifier.source.pubsub.backlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.monitoring.v3.ListTimeSeriesRequest;
import io.grpc.Status;
import io.imageclassifier.testing.LogCapture;
import io.imageclassifier.testing.fake.FakeMonitoring;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backlog read from a fake Cloud Monitoring gRPC service, through the real Monitoring client. */
class BacklogPollerTest {

    private static final String SUB = "projects/proj-1/subscriptions/uploads";

    private FakeMonitoring monitoring;
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private BacklogPoller poller;

    @BeforeEach
    void start() throws Exception {
        monitoring = FakeMonitoring.start();
        poller = new BacklogPoller(MonitoringBacklogReader.factory(SUB, monitoring.endpoint()), SUB, clock::get);
    }

    @AfterEach
    void stop() throws Exception {
        poller.close();
        monitoring.close();
    }

    @Test
    void readsTheNewestPointOfTheSubscriptionsUndeliveredMessages() {
        long now = System.currentTimeMillis();
        monitoring.backlog("uploads", new long[][] {{now - 120_000, 900}, {now - 60_000, 1234}, {now - 180_000, 5}});

        assertThat(poller.poll()).isEqualTo(OptionalLong.of(1234));

        ListTimeSeriesRequest request = monitoring.requests().get(0);
        assertThat(request.getName()).isEqualTo("projects/proj-1");
        assertThat(request.getFilter())
                .contains("metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\"")
                .contains("resource.labels.subscription_id = \"uploads\"");
        long start = request.getInterval().getStartTime().getSeconds() * 1000;
        long end = request.getInterval().getEndTime().getSeconds() * 1000;
        assertThat(end - start).isEqualTo(MonitoringBacklogReader.LOOKBACK.toMillis());
        assertThat(end).isBetween(now - 5_000, System.currentTimeMillis() + 1_000);
    }

    @Test
    void noDataPointIsAnUnknownBacklogNotAnEmptyOne() {
        monitoring.noData();

        assertThat(poller.poll()).isEmpty();
    }

    @Test
    void permissionDeniedWarnsOnceNamingTheRoleAndPollingGoesOnUntilItIsGranted() {
        monitoring.fail(Status.PERMISSION_DENIED.withDescription("Permission monitoring.timeSeries.list denied"));
        try (LogCapture log = LogCapture.of(BacklogPoller.class)) {
            assertThat(poller.poll()).isEmpty();
            assertThat(poller.poll()).isEmpty();
            assertThat(poller.poll()).isEmpty();

            assertThat(log.at(Level.WARN)).singleElement().asString()
                    .contains("PERMISSION_DENIED").contains("roles/monitoring.viewer").contains(SUB)
                    .contains("no pendingRecords");

            monitoring.backlog("uploads", new long[][] {{System.currentTimeMillis(), 42}});
            assertThat(poller.poll()).isEqualTo(OptionalLong.of(42));
            assertThat(log.at(Level.INFO)).singleElement().asString().contains("readable again");
        }
        assertThat(monitoring.requests()).hasSize(4);
    }

    @Test
    void otherErrorsAreWarnedAtMostEveryTenMinutesAndDoNotStopPolling() {
        monitoring.fail(Status.INVALID_ARGUMENT.withDescription("bad filter"));
        try (LogCapture log = LogCapture.of(BacklogPoller.class)) {
            assertThat(poller.poll()).isEmpty();
            clock.addAndGet(60_000);
            assertThat(poller.poll()).isEmpty();
            clock.addAndGet(BacklogPoller.ERROR_LOG_EVERY_MILLIS);
            assertThat(poller.poll()).isEmpty();

            assertThat(log.at(Level.WARN)).hasSize(2).allSatisfy(line -> assertThat(line).contains("bad filter"));
        }
    }
}
