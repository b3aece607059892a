package io.imageclassifier.source.pubsub.enumerator;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.source.pubsub.backlog.BacklogEvent;
import io.imageclassifier.source.pubsub.backlog.BacklogPoller;
import io.imageclassifier.source.pubsub.backlog.BacklogReader;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import io.imageclassifier.source.pubsub.split.PubSubSplitSerializer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.junit.jupiter.api.Test;

class PubSubSplitEnumeratorTest {

    private static final String SUB = "projects/p/subscriptions/s";

    private static PubSubSplitEnumerator enumerator(TestingSplitEnumeratorContext<PubSubSplit> context,
            Map<Integer, PubSubSplit> restored) {
        return new PubSubSplitEnumerator(SUB, context, new PubSubEnumeratorState(restored));
    }

    private static List<PubSubSplit> assignedTo(TestingSplitEnumeratorContext<PubSubSplit> context, int subtask) {
        var state = context.getSplitAssignments().get(subtask);
        return state == null ? List.of() : state.getAssignedSplits();
    }

    @Test
    void aReaderThatAsksGetsExactlyOneSplitOfItsOwn() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(2);
        PubSubSplitEnumerator enumerator = enumerator(context, Map.of());
        context.registerReader(0, "host");
        context.registerReader(1, "host");
        enumerator.addReader(0);
        enumerator.addReader(1);

        enumerator.handleSplitRequest(0, "host");
        enumerator.handleSplitRequest(1, "host");

        assertThat(assignedTo(context, 0)).containsExactly(new PubSubSplit(SUB, "0"));
        assertThat(assignedTo(context, 1)).containsExactly(new PubSubSplit(SUB, "1"));
        assertThat(enumerator.snapshotState(1).assignments()).containsOnlyKeys(0, 1);
    }

    @Test
    void registeringAloneAssignsNothingSinceAReaderThatRestoredItsSplitDoesNotAsk() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(1);
        context.registerReader(0, "host");
        PubSubSplitEnumerator enumerator = enumerator(context, Map.of(0, new PubSubSplit(SUB, "0")));

        enumerator.addReader(0);

        assertThat(context.getSplitAssignments()).isEmpty();
    }

    @Test
    void aSplitGivenBackIsReplacedOnlyWhenItsReaderAsksAgain() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(1);
        context.registerReader(0, "host");
        PubSubSplitEnumerator enumerator = enumerator(context, Map.of());
        enumerator.handleSplitRequest(0, "host");

        // The reader failed: its split comes back, and the failed reader must not be pushed a second one.
        enumerator.addSplitsBack(List.of(new PubSubSplit(SUB, "0")), 0);
        assertThat(assignedTo(context, 0)).hasSize(1);
        assertThat(enumerator.snapshotState(1).assignments()).isEmpty();

        // Restarted without a split (it failed before a checkpoint held one), it asks: one new split.
        enumerator.addReader(0);
        enumerator.handleSplitRequest(0, "host");
        assertThat(assignedTo(context, 0)).hasSize(2);
        assertThat(enumerator.snapshotState(2).assignments()).containsOnlyKeys(0);
    }

    @Test
    void afterARescaleEveryReaderLeftWithoutASplitGetsOneWhateverTheRestoredStateSays() {
        // Restored from parallelism 2 into 4: the two split states went to readers 0 and 2, so the
        // enumerator's old table ({0, 1}) is wrong about reader 1. Readers 1 and 3 ask.
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(4);
        PubSubSplitEnumerator enumerator = enumerator(context,
                Map.of(0, new PubSubSplit(SUB, "0"), 1, new PubSubSplit(SUB, "1")));
        for (int i = 0; i < 4; i++) {
            context.registerReader(i, "host");
            enumerator.addReader(i);
        }

        enumerator.handleSplitRequest(1, "host");
        enumerator.handleSplitRequest(3, "host");

        assertThat(assignedTo(context, 0)).isEmpty();
        assertThat(assignedTo(context, 1)).containsExactly(new PubSubSplit(SUB, "1"));
        assertThat(assignedTo(context, 2)).isEmpty();
        assertThat(assignedTo(context, 3)).containsExactly(new PubSubSplit(SUB, "3"));
    }

    @Test
    void theBacklogIsPolledAndSentToEveryRegisteredReader() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(3);
        AtomicReference<OptionalLong> value = new AtomicReference<>(OptionalLong.of(900));
        PubSubSplitEnumerator enumerator = withBacklog(context, value);
        context.registerReader(0, "host");
        context.registerReader(1, "host");
        context.registerReader(2, "host");

        enumerator.start();
        context.triggerAllActions();

        BacklogEvent expected = new BacklogEvent(900, 3,
                Duration.ofSeconds(30).toMillis() * PubSubSplitEnumerator.BACKLOG_VALID_POLLS);
        for (int i = 0; i < 3; i++) {
            assertThat(context.getSentEvents().get(i)).containsExactly(expected);
        }
        assertThat(expected.share()).isEqualTo(300);
    }

    @Test
    void anUnknownBacklogSendsNothing() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(1);
        PubSubSplitEnumerator enumerator = withBacklog(context, new AtomicReference<>(OptionalLong.empty()));
        context.registerReader(0, "host");

        enumerator.start();
        context.triggerAllActions();

        assertThat(context.getSentEvents().getOrDefault(0, List.<SourceEvent>of())).isEmpty();
    }

    private static PubSubSplitEnumerator withBacklog(TestingSplitEnumeratorContext<PubSubSplit> context,
            AtomicReference<OptionalLong> value) {
        BacklogReader.Factory factory = () -> new BacklogReader() {
            @Override
            public OptionalLong undeliveredMessages() {
                return value.get();
            }

            @Override
            public void close() {}
        };
        return new PubSubSplitEnumerator(SUB, context, new PubSubEnumeratorState(Map.of()),
                new BacklogPoller(factory, SUB, System::currentTimeMillis), Duration.ofSeconds(30));
    }

    @Test
    void stateAndSplitsSurviveTheirSerializers() throws Exception {
        PubSubEnumeratorState state = new PubSubEnumeratorState(Map.of(0, new PubSubSplit(SUB, "0"),
                3, new PubSubSplit(SUB, "3")));
        PubSubEnumeratorStateSerializer serializer = PubSubEnumeratorStateSerializer.INSTANCE;

        assertThat(serializer.deserialize(serializer.getVersion(), serializer.serialize(state))).isEqualTo(state);
        PubSubSplit split = new PubSubSplit(SUB, "7");
        assertThat(PubSubSplitSerializer.INSTANCE.deserialize(1, PubSubSplitSerializer.INSTANCE.serialize(split)))
                .isEqualTo(split);
    }
}
