package io.imageclassifier.sink.json;

import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;

/**
 * Exactly-once JSON Lines file sinks (local path or gs://). Files roll on every checkpoint and
 * become visible (renamed from their hidden in-progress name) when it completes; rows are
 * bucketed by hour ({@code yyyy-MM-dd--HH/}).
 */
public final class JsonFileSinks {
    private JsonFileSinks() {}

    /** A sink writing {@code <prefix>-<subtask>-<n>.jsonl} files under {@code dir}. */
    public static <T> FileSink<T> create(String dir, String prefix) {
        return FileSink.forRowFormat(new Path(dir), new JsonLinesEncoder<T>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder()
                        .withPartPrefix(prefix)
                        .withPartSuffix(".jsonl")
                        .build())
                .build();
    }
}
