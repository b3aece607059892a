package io.imageclassifier.model.canary;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelRolloutSettings;
import io.imageclassifier.sink.json.JsonFileSinks;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.OutputTag;

/**
 * Wires the canary's outputs: every comparison becomes a row under {@code OUT/canary/} (not among the
 * predictions, whose consumers must not see two rows per image) and a vote for the one
 * {@link CanaryJudge} of the job.
 */
public final class CanaryRollout {

    /** Side output of the classify operator: one comparison per sampled image. */
    public static final OutputTag<CanaryComparison> TAG =
            new OutputTag<>("canary", TypeInformation.of(CanaryComparison.class));

    private CanaryRollout() {}

    public static void attach(DataStream<CanaryComparison> comparisons, String canaryDir, ModelRolloutSettings settings,
            GcsConfig gcs) {
        comparisons.sinkTo(JsonFileSinks.<CanaryComparison>create(canaryDir, "canary"))
                .name("canary-json").uid("canary-json");
        comparisons.keyBy(CanaryComparison::matchup, Types.STRING)
                .process(new CanaryJudge(settings, gcs), Types.VOID)
                .name("canary-judge").uid("canary-judge").setParallelism(1)
                .sinkTo(new DiscardingSink<>()).name("canary-verdicts").setParallelism(1);
    }
}
