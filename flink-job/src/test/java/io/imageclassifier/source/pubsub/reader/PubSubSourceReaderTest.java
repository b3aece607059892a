package io.imageclassifier.source.pubsub.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.core.AbstractApiService;
import com.google.api.core.ApiService;
import com.google.cloud.pubsub.v1.AckReplyConsumer;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.PubsubMessage;
import io.imageclassifier.source.pubsub.PubSubMessage;
import io.imageclassifier.source.pubsub.SubscriberFactory;
import io.imageclassifier.source.pubsub.backlog.BacklogEvent;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import io.imageclassifier.testing.LogCapture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.testutils.source.reader.TestingReaderContext;
import org.apache.flink.connector.testutils.source.reader.TestingReaderOutput;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.testutils.MetricListener;
import org.apache.flink.runtime.metrics.groups.InternalSourceReaderMetricGroup;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * The reader's own logic against a fake message stream standing in for the StreamingPull client
 * (the real client against the emulator is covered by the ITs): split requests, ack on checkpoint,
 * nack on close, failure, flow-control reporting and the backlog gauge.
 */
class PubSubSourceReaderTest {

    private static final String SUB = "projects/p/subscriptions/s";
    private static final PubSubSplit SPLIT = new PubSubSplit(SUB, "0");

    /** A stand-in for the client's Subscriber: the test delivers messages through its receiver. */
    static final class FakeStream extends AbstractApiService {
        final MessageReceiver receiver;

        FakeStream(MessageReceiver receiver) {
            this.receiver = receiver;
        }

        @Override
        protected void doStart() {
            notifyStarted();
        }

        @Override
        protected void doStop() {
            notifyStopped();
        }

        void fail(Throwable t) {
            notifyFailed(t);
        }
    }

    /** Records what happened to each message. */
    record Handle(List<String> log, String id) implements AckReplyConsumer {
        @Override
        public void ack() {
            log.add("ack " + id);
        }

        @Override
        public void nack() {
            log.add("nack " + id);
        }
    }

    private final List<FakeStream> streams = new CopyOnWriteArrayList<>();
    private final List<String> acks = new CopyOnWriteArrayList<>();
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final MetricListener metrics = new MetricListener();
    private final TestingReaderContext context = new TestingReaderContext(new Configuration(),
            InternalSourceReaderMetricGroup.mock(metrics.getMetricGroup()));
    private final TestingReaderOutput<PubSubMessage> output = new TestingReaderOutput<>();

    private PubSubSourceReader reader(FlowLimits limits) {
        SubscriberFactory factory = (subscription, receiver) -> {
            assertThat(subscription).isEqualTo(SUB);
            FakeStream stream = new FakeStream(receiver);
            streams.add(stream);
            return stream;
        };
        return new PubSubSourceReader(factory, limits, context, clock::get);
    }

    private PubSubSourceReader started() {
        PubSubSourceReader reader = reader(new FlowLimits(0, 100_000_000));
        reader.start();
        reader.addSplits(List.of(SPLIT));
        return reader;
    }

    private void deliver(String... ids) {
        for (String id : ids) {
            PubsubMessage message = PubsubMessage.newBuilder().setMessageId(id)
                    .setData(ByteString.copyFromUtf8("{\"name\":\"" + id + "\"}")).putAttributes("objectId", id)
                    .setPublishTime(Timestamp.newBuilder().setSeconds(1700000000)).build();
            streams.get(0).receiver.receiveMessage(message, new Handle(acks, id));
        }
    }

    private List<String> pollAll(PubSubSourceReader reader) {
        List<String> ids = new ArrayList<>();
        output.clearEmittedRecords();
        while (reader.pollNext(output) == InputStatus.MORE_AVAILABLE) {
            // drains the hand-over queue
        }
        output.getEmittedRecords().forEach(m -> ids.add(m.messageId()));
        return ids;
    }

    private long counter(String name) {
        return metrics.getCounter(PubSubReaderMetrics.GROUP, name).map(Counter::getCount).orElseThrow();
    }

    @Test
    void aReaderAsksForASplitOnlyWhenItRestoredNone() throws Exception {
        PubSubSourceReader fresh = reader(new FlowLimits(0, 1_000_000));
        fresh.start();
        assertThat(context.getNumSplitRequests()).isEqualTo(1);
        fresh.close();

        TestingReaderContext restoredContext = new TestingReaderContext();
        PubSubSourceReader restored = new PubSubSourceReader((s, r) -> new FakeStream(r),
                new FlowLimits(0, 1_000_000), restoredContext);
        restored.addSplits(List.of(SPLIT)); // Flink adds restored splits before start()
        restored.start();
        assertThat(restoredContext.getNumSplitRequests()).isZero();
        restored.close();
    }

    @Test
    void emitsWhatTheStreamDeliversAndAcksItOnlyWhenItsCheckpointCompletes() throws Exception {
        PubSubSourceReader reader = started();
        deliver("a", "b");

        assertThat(pollAll(reader)).containsExactly("a", "b");
        assertThat(output.getEmittedRecords().get(0).attributes()).containsEntry("objectId", "a");
        assertThat(output.getEmittedRecords().get(0).publishTimeMillis()).isEqualTo(1_700_000_000_000L);
        assertThat(reader.snapshotState(1)).containsExactly(SPLIT);
        deliver("c");
        assertThat(pollAll(reader)).containsExactly("c");
        assertThat(acks).isEmpty();

        reader.notifyCheckpointComplete(1);
        assertThat(acks).containsExactly("ack a", "ack b");

        reader.snapshotState(2);
        reader.notifyCheckpointComplete(2);
        assertThat(acks).containsExactly("ack a", "ack b", "ack c");
        assertThat(counter(PubSubReaderMetrics.RECEIVED)).isEqualTo(3);
        assertThat(counter(PubSubReaderMetrics.ACKED)).isEqualTo(3);
        reader.close();
    }

    @Test
    void closeNacksWhatWasEmittedOrQueuedAndNotAckedAndStopsTheStream() throws Exception {
        PubSubSourceReader reader = started();
        deliver("a", "b");
        output.clearEmittedRecords();
        assertThat(reader.pollNext(output)).isEqualTo(InputStatus.MORE_AVAILABLE); // "a" emitted, "b" queued

        reader.close();

        assertThat(acks).containsExactlyInAnyOrder("nack a", "nack b");
        assertThat(counter(PubSubReaderMetrics.NACKED)).isEqualTo(2);
        assertThat(streams.get(0).state()).isEqualTo(ApiService.State.TERMINATED);
        deliver("late");
        assertThat(acks).contains("nack late");
    }

    @Test
    void aSecondSplitIsIgnoredSoTheReaderKeepsOneStream() throws Exception {
        PubSubSourceReader reader = started();

        reader.addSplits(List.of(new PubSubSplit(SUB, "1")));

        assertThat(streams).hasSize(1);
        assertThat(reader.snapshotState(1)).containsExactly(SPLIT);
        reader.close();
    }

    @Test
    void aFailedStreamFailsTheReaderWithTheCause() throws Exception {
        PubSubSourceReader reader = started();
        IllegalStateException cause = new IllegalStateException("stream broke");

        streams.get(0).fail(cause);

        assertThat(reader.isAvailable()).isDone();
        assertThatThrownBy(() -> reader.pollNext(output)).hasRootCauseMessage("stream broke");
        reader.close();
    }

    @Test
    void timeSpentHeldBackByTheFlowControlLimitIsCountedAndLoggedWithWhatTheReaderNeeds() throws Exception {
        PubSubSourceReader reader = reader(new FlowLimits(10, 100_000_000));
        reader.start();
        reader.addSplits(List.of(SPLIT));
        try (LogCapture log = LogCapture.of(FlowControlWatch.class)) {
            // One checkpoint interval of 10 s at 0.5 messages/s: the observed cadence.
            reader.snapshotState(1);
            deliver("m0", "m1", "m2", "m3", "m4");
            pollAll(reader);
            clock.addAndGet(10_000);
            reader.snapshotState(2);
            clock.addAndGet(1_000);
            reader.notifyCheckpointComplete(2);
            assertThat(counter(PubSubReaderMetrics.FLOW_CONTROL_LIMITED_MS)).isZero();

            // Ten unacked messages reach the limit: the reader idles until a checkpoint acks them.
            deliver("n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9");
            pollAll(reader);
            clock.addAndGet(4_000);
            reader.snapshotState(3);
            reader.notifyCheckpointComplete(3);
            deliver("n10");
            pollAll(reader);

            assertThat(counter(PubSubReaderMetrics.FLOW_CONTROL_LIMITED_MS)).isEqualTo(4_000);
            assertThat(log.at(Level.WARN)).singleElement().asString()
                    .contains("flow control limits subtask 0").contains("10 messages")
                    .contains("limit of 10 messages")
                    .contains("0.5 messages/s").contains("needs at least 6 messages")
                    .contains("--max-outstanding-messages");
        }
        reader.close();
    }

    @Test
    void belowTheLimitAnIdleReaderIsNotCountedAsHeldBack() throws Exception {
        PubSubSourceReader reader = reader(new FlowLimits(100, 100_000_000));
        reader.start();
        reader.addSplits(List.of(SPLIT));
        deliver("a", "b");
        pollAll(reader);
        clock.addAndGet(5_000);
        deliver("c");
        pollAll(reader);

        assertThat(counter(PubSubReaderMetrics.FLOW_CONTROL_LIMITED_MS)).isZero();
        reader.close();
    }

    @Test
    void pendingRecordsIsAbsentUntilABacklogArrivesThenTheReadersShareLessItsUnackedMessages() throws Exception {
        PubSubSourceReader reader = started();
        assertThat(metrics.getGauge("pendingRecords")).isEmpty();

        deliver("a", "b", "c");
        pollAll(reader);
        reader.handleSourceEvents(new BacklogEvent(1000, 4, 300_000));

        Gauge<Long> pending = metrics.<Long>getGauge("pendingRecords").orElseThrow();
        assertThat(pending.getValue()).isEqualTo(250 - 3);

        clock.addAndGet(300_001);
        assertThat(pending.getValue()).as("a stale backlog reads as none").isZero();
        reader.handleSourceEvents(new BacklogEvent(10, 4, 300_000));
        assertThat(pending.getValue()).as("never negative").isZero();
        reader.close();
    }
}
