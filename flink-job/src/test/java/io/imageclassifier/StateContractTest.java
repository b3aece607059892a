package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommittable;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommittableSerializer;
import io.imageclassifier.source.pubsub.enumerator.PubSubEnumeratorState;
import io.imageclassifier.source.pubsub.enumerator.PubSubEnumeratorStateSerializer;
import io.imageclassifier.source.local.enumerator.LocalEnumeratorState;
import io.imageclassifier.source.local.enumerator.LocalEnumeratorStateSerializer;
import io.imageclassifier.source.local.split.LocalFile;
import io.imageclassifier.source.local.split.LocalFileSplit;
import io.imageclassifier.source.local.split.LocalFileSplitSerializer;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import io.imageclassifier.source.pubsub.split.PubSubSplitSerializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

/**
 * What the job keeps in checkpoints and savepoints is a contract with every running deployment
 * (upgrades restore from a savepoint). The bytes written by the first released format are committed
 * under {@code src/test/resources/state-contract/}: the current code must still read them, so a
 * change to a split, enumerator state, committable, or to the records held in the async fetch's
 * in-flight buffer fails here instead of in a user's upgrade. Evolve a format by adding a version
 * (and a new golden file), never by changing an old one. To write missing golden files once:
 * {@code -Dstate.contract.write=true}.
 */
class StateContractTest {
    private static final Path GOLDEN = Path.of("src/test/resources/state-contract");

    static final PubSubSplit SPLIT = new PubSubSplit("projects/p/subscriptions/images", "pubsub-0");
    static final PubSubEnumeratorState ENUMERATOR = new PubSubEnumeratorState(Map.of(
            0, new PubSubSplit("projects/p/subscriptions/images", "pubsub-0"),
            1, new PubSubSplit("projects/p/subscriptions/images", "pubsub-1")));
    static final BigQueryCommittable COMMITTABLE = new BigQueryCommittable(
            "projects/p/datasets/d/tables/t", "projects/p/datasets/d/tables/t/streams/s-1", 42);
    static final ObjectRef REF = new ObjectRef("gcs", "bucket", "uploads/cat.jpg", "1700000000000001", 123456,
            "image/jpeg", "2026-11-27T13:00:00.000001Z", "2026-11-27T13:00:00.000001Z", "msg-1", 1795000000000L);

    static final ObjectRef LOCAL_REF = new ObjectRef("local", "local", "2026/cat.jpg", "1795000000000-123456", 123456,
            "image/jpeg", null, null, null, 1795000001000L);

    static final LocalFile CAT = new LocalFile("2026/cat.jpg", 1795000000000L, 123456, 1795000001000L);
    static final LocalFile DOG = new LocalFile("dog \u00e9t\u00e9.png", 1795000000500L, 654321, 1795000001000L);
    static final LocalFileSplit LOCAL_SPLIT = new LocalFileSplit("files-7", java.util.List.of(CAT, DOG), 1);
    static final LocalEnumeratorState LOCAL_ENUMERATOR = new LocalEnumeratorState(
            java.util.List.of(CAT, DOG), java.util.List.of(DOG), true, 8);

    @Test
    void localFileSplitsOfVersion1StillRestore() throws Exception {
        assertReads("local-split-v1.bin", new LocalFileSplitSerializer(), 1, LOCAL_SPLIT);
    }

    @Test
    void localEnumeratorStateOfVersion1StillRestores() throws Exception {
        assertReads("local-enumerator-v1.bin", new LocalEnumeratorStateSerializer(), 1, LOCAL_ENUMERATOR);
    }

    @Test
    void pubSubSplitsOfVersion1StillRestore() throws Exception {
        assertReads("pubsub-split-v1.bin", new PubSubSplitSerializer(), 1, SPLIT);
    }

    @Test
    void pubSubEnumeratorStateOfVersion1StillRestores() throws Exception {
        assertReads("pubsub-enumerator-v1.bin", new PubSubEnumeratorStateSerializer(), 1, ENUMERATOR);
    }

    @Test
    void bigQueryCommittablesOfVersion1StillRestore() throws Exception {
        assertReads("bigquery-committable-v1.bin", new BigQueryCommittableSerializer(), 1, COMMITTABLE);
    }

    @Test
    void objectRefsInTheAsyncFetchBufferStillRestoreWithoutMigration() throws Exception {
        TypeSerializer<ObjectRef> serializer =
                TypeInformation.of(ObjectRef.class).createSerializer(new SerializerConfigImpl());

        DataOutputSerializer snapshotOut = new DataOutputSerializer(512);
        TypeSerializerSnapshot.writeVersionedSnapshot(snapshotOut, serializer.snapshotConfiguration());
        byte[] snapshotBytes = golden("object-ref-serializer-snapshot-v1.bin", snapshotOut.getCopyOfBuffer());
        TypeSerializerSnapshot<ObjectRef> oldSnapshot = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(snapshotBytes), getClass().getClassLoader());
        TypeSerializerSchemaCompatibility<ObjectRef> compatibility =
                serializer.snapshotConfiguration().resolveSchemaCompatibility(oldSnapshot);
        assertThat(compatibility.isCompatibleAsIs())
                .as("ObjectRef's serializer must read old state as is (was: %s)", compatibility)
                .isTrue();

        DataOutputSerializer dataOut = new DataOutputSerializer(512);
        serializer.serialize(REF, dataOut);
        byte[] data = golden("object-ref-v1.bin", dataOut.getCopyOfBuffer());
        assertThat(oldSnapshot.restoreSerializer().deserialize(new DataInputDeserializer(data))).isEqualTo(REF);
    }

    /**
     * The fetch operator (uid {@code gcs-fetch}) keeps the references whose fetch had not finished
     * in its operator state; after a restore each is fetched again. Golden: a snapshot of the async
     * operator holding {@link #REF} and {@link #LOCAL_REF} in flight.
     */
    @Test
    void referencesInFlightInTheFetchOperatorRestoreAndAreFetchedAgain() throws Exception {
        Path file = GOLDEN.resolve("fetch-operator-in-flight-v1.snapshot");
        if (!Files.exists(file) && Boolean.getBoolean("state.contract.write")) {
            try (OneInputStreamOperatorTestHarness<ObjectRef, ObjectRef> h = fetchOperator((ref, result) -> {})) {
                h.open();
                h.processElement(REF, 0);
                h.processElement(LOCAL_REF, 0);
                OperatorSnapshotUtil.writeStateHandle(h.snapshot(1, 1), file.toString());
            }
        }
        assertThat(file).as("golden state file (write it once with -Dstate.contract.write=true)").exists();

        try (OneInputStreamOperatorTestHarness<ObjectRef, ObjectRef> h =
                fetchOperator((ref, result) -> result.complete(List.of(ref)))) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(file.toString()));
            h.open();
            h.endInput();
            assertThat(h.extractOutputValues()).containsExactlyInAnyOrder(REF, LOCAL_REF);
        }
    }

    /** The async wait operator as the pipeline builds it, around a function standing in for the fetch. */
    private static OneInputStreamOperatorTestHarness<ObjectRef, ObjectRef> fetchOperator(
            AsyncFunction<ObjectRef, ObjectRef> fetch) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(fetch, 60_000, 16, AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(ObjectRef.class).createSerializer(new SerializerConfigImpl()));
    }

    private static <T> void assertReads(String file, SimpleVersionedSerializer<T> serializer, int version, T expected)
            throws IOException {
        byte[] bytes = golden(file, version == serializer.getVersion() ? serializer.serialize(expected) : null);
        assertThat(serializer.deserialize(version, bytes)).isEqualTo(expected);
    }

    /** The committed golden bytes; written from {@code current} only when asked to and missing. */
    static byte[] golden(String name, byte[] current) throws IOException {
        Path file = GOLDEN.resolve(name);
        if (!Files.exists(file) && Boolean.getBoolean("state.contract.write") && current != null) {
            Files.createDirectories(GOLDEN);
            Files.write(file, current);
        }
        assertThat(file).as("golden state file (write it once with -Dstate.contract.write=true)").exists();
        return Files.readAllBytes(file);
    }
}
