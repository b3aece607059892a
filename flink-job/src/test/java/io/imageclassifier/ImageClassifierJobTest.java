package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import java.util.Map;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

class ImageClassifierJobTest {

    private static JobConfig config(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--input-dir";
        all[1] = "samples";
        System.arraycopy(args, 0, all, 2, args.length);
        return JobConfigParser.parse(all, Map.of()).config();
    }

    /** An environment as a cluster hands it to the job: its configuration already applied. */
    private static StreamExecutionEnvironment clusterEnv(Map<String, String> clusterConfig) {
        return StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(clusterConfig));
    }

    @Test
    void embeddedModeDefaultsToUnalignedFiveSecondCheckpointsAShortBufferTimeoutAndTheCores() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        long flinkDefault = env.getBufferTimeout();

        ImageClassifierJob.configure(env, config());

        assertThat(env.getParallelism()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(5000);
        assertThat(env.getCheckpointConfig().getCheckpointingConsistencyMode()).isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isTrue();
        assertThat(flinkDefault).isEqualTo(100);
        assertThat(env.getBufferTimeout()).isEqualTo(ImageClassifierJob.BUFFER_TIMEOUT_MILLIS).isEqualTo(10);
        assertThat(env.getConfig().isObjectReuseEnabled()).isTrue();
    }

    @Test
    void embeddedModeTakesTheFlagsOverItsDefaults() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

        ImageClassifierJob.configure(env, config("--parallelism", "3", "--checkpoint-interval", "7s",
                "--no-unaligned-checkpoints", "--buffer-timeout", "50ms", "--checkpoint-dir", "file:///tmp/cp"));

        assertThat(env.getParallelism()).isEqualTo(3);
        assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(7000);
        assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isFalse();
        assertThat(env.getBufferTimeout()).isEqualTo(50);
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("file:///tmp/cp");
    }

    @Test
    void onAClusterWithoutFlagsTheClustersSettingsAreLeftAlone() {
        StreamExecutionEnvironment env = clusterEnv(Map.of(
                "parallelism.default", "6",
                "execution.checkpointing.interval", "45s",
                "execution.checkpointing.unaligned.enabled", "false",
                "execution.buffer-timeout.interval", "250ms",
                "execution.checkpointing.dir", "gs://cluster/checkpoints"));

        ImageClassifierJob.configureForCluster(env, config());

        assertThat(env.getParallelism()).isEqualTo(6);
        assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(45_000);
        assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isFalse();
        assertThat(env.getBufferTimeout()).isEqualTo(250);
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))
                .isEqualTo("gs://cluster/checkpoints");
        assertThat(env.getConfig().isObjectReuseEnabled()).as("a property of the job's code").isTrue();
    }

    @Test
    void onAClusterWithoutCheckpointingNoneIsSwitchedOnSilently() {
        StreamExecutionEnvironment env = clusterEnv(Map.of());

        ImageClassifierJob.configureForCluster(env, config());

        assertThat(env.getCheckpointConfig().isCheckpointingEnabled()).isFalse();
        assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isFalse();
        assertThat(env.getBufferTimeout()).isEqualTo(100);
    }

    @Test
    void onAClusterTheFlagsGivenWin() {
        StreamExecutionEnvironment env = clusterEnv(Map.of("parallelism.default", "6",
                "execution.checkpointing.interval", "45s"));

        ImageClassifierJob.configureForCluster(env, config("--parallelism", "2", "--checkpoint-interval", "10s",
                "--unaligned-checkpoints", "--buffer-timeout", "10ms", "--checkpoint", "gs://mine/cp"));

        assertThat(env.getParallelism()).isEqualTo(2);
        assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(10_000);
        assertThat(env.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isTrue();
        assertThat(env.getBufferTimeout()).isEqualTo(10);
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("gs://mine/cp");
    }

    @Test
    void parallelismZeroOnAClusterLeavesTheClustersDefault() {
        StreamExecutionEnvironment env = clusterEnv(Map.of("parallelism.default", "4"));
        ImageClassifierJob.configureForCluster(env, config("--parallelism", "0"));
        assertThat(env.getParallelism()).isEqualTo(4);
    }
}
