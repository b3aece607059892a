package io.imageclassifier.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.local.reader.LocalFileSourceReader;
import io.imageclassifier.source.local.split.LocalFile;
import io.imageclassifier.source.local.split.LocalFileSplit;
import io.imageclassifier.source.local.split.LocalFileSplitSerializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.flink.connector.testutils.source.reader.TestingReaderContext;
import org.apache.flink.connector.testutils.source.reader.TestingReaderOutput;
import org.apache.flink.core.io.InputStatus;
import org.junit.jupiter.api.Test;

class LocalFileSourceReaderTest {

    @Test
    void emitsEachFileOnceAsAReferenceAndAsksForMoreOnlyWhenItHasNone() {
        TestingReaderContext context = new TestingReaderContext();
        LocalFileSourceReader reader = new LocalFileSourceReader(context);
        TestingReaderOutput<ObjectRef> output = new TestingReaderOutput<>();
        reader.start();
        assertThat(context.getNumSplitRequests()).isEqualTo(1);
        assertThat(reader.isAvailable()).isNotDone();
        assertThat(reader.pollNext(output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
        assertThat(context.getNumSplitRequests()).isEqualTo(1); // one request outstanding at a time

        reader.addSplits(List.of(split("s1", 0, 3), split("s2", 3, 2)));
        assertThat(reader.isAvailable()).isDone();
        List<InputStatus> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            statuses.add(reader.pollNext(output));
        }
        assertThat(statuses).containsExactly(InputStatus.MORE_AVAILABLE, InputStatus.MORE_AVAILABLE,
                InputStatus.MORE_AVAILABLE, InputStatus.MORE_AVAILABLE, InputStatus.NOTHING_AVAILABLE);
        assertThat(output.getEmittedRecords()).extracting(ObjectRef::name)
                .containsExactly("f0.jpg", "f1.png", "f2.jpg", "f3.png", "f4.jpg");
        assertThat(context.getNumSplitRequests()).isEqualTo(2);

        ObjectRef first = output.getEmittedRecords().get(0);
        assertThat(first.source()).isEqualTo(ObjectRef.SOURCE_LOCAL);
        assertThat(first.version()).isEqualTo("1700000000000-100");
        assertThat(first.size()).isEqualTo(100);
        assertThat(first.contentType()).isEqualTo("image/jpeg");
        assertThat(output.getEmittedRecords().get(1).contentType()).isEqualTo("image/png");
        assertThat(first.timeCreated()).isEqualTo("2023-11-14T22:13:20Z");
        assertThat(first.seenAtMillis()).isEqualTo(42);

        reader.notifyNoMoreSplits();
        assertThat(reader.isAvailable()).isDone();
        assertThat(reader.pollNext(output)).isEqualTo(InputStatus.END_OF_INPUT);
    }

    @Test
    void aCheckpointHoldsExactlyWhatIsNotEmittedYetAndARestoredReaderGoesOnFromThere() throws IOException {
        TestingReaderContext context = new TestingReaderContext();
        LocalFileSourceReader reader = new LocalFileSourceReader(context);
        TestingReaderOutput<ObjectRef> output = new TestingReaderOutput<>();
        reader.addSplits(List.of(split("s1", 0, 3), split("s2", 3, 3)));
        reader.start();
        assertThat(context.getNumSplitRequests()).isZero(); // restored splits first
        for (int i = 0; i < 4; i++) {
            reader.pollNext(output);
        }
        List<LocalFileSplit> state = reader.snapshotState(7);
        assertThat(state).containsExactly(split("s2", 3, 3).withEmitted(1));

        LocalFileSplitSerializer s = LocalFileSplitSerializer.INSTANCE;
        LocalFileSplit restoredSplit = s.deserialize(s.getVersion(), s.serialize(state.get(0)));
        LocalFileSourceReader restored = new LocalFileSourceReader(new TestingReaderContext());
        TestingReaderOutput<ObjectRef> restoredOutput = new TestingReaderOutput<>();
        restored.addSplits(List.of(restoredSplit));
        restored.start();
        restored.notifyNoMoreSplits();
        while (restored.pollNext(restoredOutput) == InputStatus.MORE_AVAILABLE) {
            // drain
        }
        assertThat(restoredOutput.getEmittedRecords()).extracting(ObjectRef::name)
                .containsExactly("f4.jpg", "f5.png");
        assertThat(restored.pollNext(restoredOutput)).isEqualTo(InputStatus.END_OF_INPUT);
    }

    @Test
    void aFullyEmittedRestoredSplitIsDroppedAndTheReaderAsksForWork() {
        TestingReaderContext context = new TestingReaderContext();
        LocalFileSourceReader reader = new LocalFileSourceReader(context);
        reader.addSplits(List.of(split("s1", 0, 2).withEmitted(2)));
        reader.start();
        assertThat(reader.snapshotState(1)).isEmpty();
        assertThat(context.getNumSplitRequests()).isEqualTo(1);
    }

    /** {@code n} files named f{from}.. (even: .jpg, odd: .png), discovered at 42. */
    private static LocalFileSplit split(String id, int from, int n) {
        return new LocalFileSplit(id, IntStream.range(from, from + n)
                .mapToObj(i -> new LocalFile("f" + i + (i % 2 == 0 ? ".jpg" : ".png"), 1_700_000_000_000L, 100, 42))
                .toList(), 0);
    }
}
