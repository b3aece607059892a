package io.imageclassifier.sink;

import io.imageclassifier.record.DeadLetter;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/** The side output every stage sends rejected inputs to; the pipeline unions them into one sink. */
public final class DeadLetterOutput {
    private DeadLetterOutput() {}

    public static final OutputTag<DeadLetter> TAG =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));
}
