package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import java.util.Map;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

class ImageClassifierJobTest {

    @Test
    void configureSetsParallelismUnalignedExactlyOnceCheckpointsAShortBufferTimeoutAndObjectReuse() {
        JobConfig config = JobConfigParser.parse(new String[] {"--input-dir", "samples", "--parallelism", "3",
                "--checkpoint-interval", "7s"}, Map.of()).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        long flinkDefault = env.getBufferTimeout();

        ImageClassifierJob.configure(env, config);

        assertThat(env.getParallelism()).isEqualTo(3);
        assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(7000);
        assertThat(env.getCheckpointConfig().getCheckpointingConsistencyMode()).isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isTrue();
        assertThat(flinkDefault).isEqualTo(100);
        assertThat(env.getBufferTimeout()).isEqualTo(ImageClassifierJob.BUFFER_TIMEOUT_MILLIS).isEqualTo(10);
        assertThat(env.getConfig().isObjectReuseEnabled()).isTrue();
    }
}
