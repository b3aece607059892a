package io.imageclassifier.source.pubsub.enumerator;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.source.pubsub.split.PubSubSplit;
import io.imageclassifier.source.pubsub.split.PubSubSplitSerializer;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.junit.jupiter.api.Test;

class PubSubSplitEnumeratorTest {

    private static final String SUB = "projects/p/subscriptions/s";

    @Test
    void givesEveryRegisteredReaderExactlyOneSplit() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(2);
        PubSubSplitEnumerator enumerator = new PubSubSplitEnumerator(SUB, context, new PubSubEnumeratorState(Map.of()));
        context.registerReader(0, "host");
        context.registerReader(1, "host");

        enumerator.addReader(0);
        enumerator.addReader(1);
        enumerator.addReader(1);

        assertThat(context.getSplitAssignments().get(0).getAssignedSplits())
                .containsExactly(new PubSubSplit(SUB, "0"));
        assertThat(context.getSplitAssignments().get(1).getAssignedSplits())
                .containsExactly(new PubSubSplit(SUB, "1"));
    }

    @Test
    void aRestoredEnumeratorDoesNotReassignReadersThatRestoreTheirOwnSplit() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(1);
        context.registerReader(0, "host");
        PubSubSplitEnumerator enumerator = new PubSubSplitEnumerator(SUB, context,
                new PubSubEnumeratorState(Map.of(0, new PubSubSplit(SUB, "0"))));

        enumerator.addReader(0);

        assertThat(context.getSplitAssignments()).isEmpty();
    }

    @Test
    void aSplitGivenBackIsReplacedWhenItsReaderReturns() {
        TestingSplitEnumeratorContext<PubSubSplit> context = new TestingSplitEnumeratorContext<>(1);
        context.registerReader(0, "host");
        PubSubSplitEnumerator enumerator = new PubSubSplitEnumerator(SUB, context, new PubSubEnumeratorState(Map.of()));
        enumerator.addReader(0);

        enumerator.addSplitsBack(List.of(new PubSubSplit(SUB, "0")), 0);

        assertThat(context.getSplitAssignments().get(0).getAssignedSplits()).hasSize(2);
        assertThat(enumerator.snapshotState(1).assignments()).containsOnlyKeys(0);
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
