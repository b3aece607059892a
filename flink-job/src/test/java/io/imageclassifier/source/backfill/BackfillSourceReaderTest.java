package io.imageclassifier.source.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.backfill.reader.BackfillSourceReader;
import io.imageclassifier.source.backfill.split.BackfillSplit;
import io.imageclassifier.source.backfill.split.BackfillSplitSerializer;
import java.io.IOException;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.testutils.source.reader.TestingReaderContext;
import org.apache.flink.connector.testutils.source.reader.TestingReaderOutput;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.testutils.MetricListener;
import org.apache.flink.runtime.metrics.groups.InternalSourceReaderMetricGroup;
import org.junit.jupiter.api.Test;

class BackfillSourceReaderTest {

    private static final List<ObjectRef> OBJECTS = InMemoryBucketLister.objects(6);

    @Test
    void emitsTheListedReferencesAsTheyAreInOrderAndCountsWhatIsLeftInPendingRecords() {
        MetricListener metrics = new MetricListener();
        TestingReaderContext context = new TestingReaderContext(new Configuration(),
                InternalSourceReaderMetricGroup.mock(metrics.getMetricGroup()));
        BackfillSourceReader reader = new BackfillSourceReader(context);
        TestingReaderOutput<ObjectRef> output = new TestingReaderOutput<>();
        Gauge<Long> pendingRecords = metrics.<Long>getGauge("pendingRecords").orElseThrow();
        reader.start();
        assertThat(context.getNumSplitRequests()).isEqualTo(1);
        assertThat(reader.pollNext(output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
        assertThat(context.getNumSplitRequests()).isEqualTo(1); // one request outstanding at a time

        reader.addSplits(List.of(new BackfillSplit("s1", OBJECTS.subList(0, 4), 0)));
        assertThat(pendingRecords.getValue()).isEqualTo(4L);
        assertThat(reader.pollNext(output)).isEqualTo(InputStatus.MORE_AVAILABLE);
        assertThat(pendingRecords.getValue()).isEqualTo(3L);
        while (reader.pollNext(output) == InputStatus.MORE_AVAILABLE) {
            // drain
        }
        assertThat(output.getEmittedRecords()).containsExactlyElementsOf(OBJECTS.subList(0, 4));
        assertThat(pendingRecords.getValue()).isZero();
        assertThat(context.getNumSplitRequests()).isEqualTo(2);

        reader.notifyNoMoreSplits();
        assertThat(reader.isAvailable()).isDone();
        assertThat(reader.pollNext(output)).isEqualTo(InputStatus.END_OF_INPUT);
    }

    @Test
    void aCheckpointHoldsExactlyWhatIsNotEmittedYetAndARestoredReaderGoesOnFromThere() throws IOException {
        TestingReaderContext context = new TestingReaderContext();
        BackfillSourceReader reader = new BackfillSourceReader(context);
        TestingReaderOutput<ObjectRef> output = new TestingReaderOutput<>();
        reader.addSplits(List.of(new BackfillSplit("s1", OBJECTS.subList(0, 3), 0),
                new BackfillSplit("s2", OBJECTS.subList(3, 6), 0)));
        reader.start();
        assertThat(context.getNumSplitRequests()).isZero(); // restored splits first
        for (int i = 0; i < 4; i++) {
            reader.pollNext(output);
        }
        List<BackfillSplit> state = reader.snapshotState(7);
        assertThat(state).containsExactly(new BackfillSplit("s2", OBJECTS.subList(3, 6), 1));

        BackfillSplitSerializer s = BackfillSplitSerializer.INSTANCE;
        BackfillSourceReader restored = new BackfillSourceReader(new TestingReaderContext());
        TestingReaderOutput<ObjectRef> restoredOutput = new TestingReaderOutput<>();
        restored.addSplits(List.of(s.deserialize(s.getVersion(), s.serialize(state.get(0)))));
        restored.start();
        restored.notifyNoMoreSplits();
        while (restored.pollNext(restoredOutput) == InputStatus.MORE_AVAILABLE) {
            // drain
        }
        assertThat(restoredOutput.getEmittedRecords()).containsExactlyElementsOf(OBJECTS.subList(4, 6));
        assertThat(restored.pollNext(restoredOutput)).isEqualTo(InputStatus.END_OF_INPUT);
    }
}
