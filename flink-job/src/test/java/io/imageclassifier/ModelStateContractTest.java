package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.classify.ClassifyFunction;
import io.imageclassifier.model.canary.CanaryJudge;
import io.imageclassifier.model.canary.CanaryTally;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The state of model rollout, held to the same contract as {@link StateContractTest}: the classify
 * operator's checkpointed versions in use, and the canary judge's tally.
 */
class ModelStateContractTest {

    static final CanaryTally TALLY = new CanaryTally(187, 183, -1.25, false);

    @Test
    void theVersionsInUseAreAListOfStringsUnderAFixedName() {
        ListStateDescriptor<String> d = ClassifyFunction.versionsDescriptor();
        assertThat(d.getName()).isEqualTo("model-versions-in-use");
        d.initializeSerializerUnlessSet(new ExecutionConfig());
        assertThat(d.getElementSerializer()).isInstanceOf(StringSerializer.class);
    }

    @Test
    void canaryTalliesOfVersion1StillRestoreWithoutMigration() throws Exception {
        ValueStateDescriptor<CanaryTally> d = CanaryJudge.tallyDescriptor();
        assertThat(d.getName()).isEqualTo("canary-tally");
        TypeSerializer<CanaryTally> serializer = CanaryJudge.TALLY_TYPE.createSerializer(new SerializerConfigImpl());

        DataOutputSerializer snapshotOut = new DataOutputSerializer(512);
        TypeSerializerSnapshot.writeVersionedSnapshot(snapshotOut, serializer.snapshotConfiguration());
        byte[] snapshotBytes = StateContractTest.golden("canary-tally-serializer-snapshot-v1.bin",
                snapshotOut.getCopyOfBuffer());
        TypeSerializerSnapshot<CanaryTally> oldSnapshot = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(snapshotBytes), getClass().getClassLoader());
        TypeSerializerSchemaCompatibility<CanaryTally> compatibility =
                serializer.snapshotConfiguration().resolveSchemaCompatibility(oldSnapshot);
        assertThat(compatibility.isCompatibleAsIs())
                .as("CanaryTally's serializer must read old state as is (was: %s)", compatibility)
                .isTrue();

        DataOutputSerializer dataOut = new DataOutputSerializer(64);
        serializer.serialize(TALLY, dataOut);
        byte[] data = StateContractTest.golden("canary-tally-v1.bin", dataOut.getCopyOfBuffer());
        assertThat(oldSnapshot.restoreSerializer().deserialize(new DataInputDeserializer(data))).isEqualTo(TALLY);
    }
}
