package io.imageclassifier.preflight;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

class CheckpointCheckTest {

    static final List<String> CLOUD = List.of("--subscription", "projects/p/subscriptions/s");
    static final List<String> WATCHING = List.of("--input-dir", "samples");
    static final List<String> ONCE = List.of("--input-dir", "samples", "--once");

    /** The job as submitted to a cluster with this configuration, these flags added to {@code base}. */
    private static void submit(Map<String, String> cluster, List<String> base, String... flags) {
        List<String> args = new ArrayList<>(base);
        args.addAll(List.of(flags));
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new), Map.of()).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(cluster));
        ImageClassifierJob.configureForCluster(env, config);
        CheckpointCheck.check(env, config);
    }

    @Test
    void cloudModeOnAClusterWithoutCheckpointingFailsAtSubmissionSayingWhatToSet() {
        assertThatThrownBy(() -> submit(Map.of(), CLOUD))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("checkpointing is off")
                .hasMessageContaining("execution.checkpointing.interval")
                .hasMessageContaining("--checkpoint-interval");
    }

    @Test
    void aWatchingLocalRunNeedsCheckpointsToPublishItsFilesButABoundedOneDoesNot() {
        assertThatThrownBy(() -> submit(Map.of(), WATCHING)).hasMessageContaining("checkpointing is off");
        assertThatCode(() -> submit(Map.of(), ONCE)).doesNotThrowAnyException();
    }

    @Test
    void theClustersIntervalOrTheFlagSatisfiesIt() {
        assertThatCode(() -> submit(Map.of("execution.checkpointing.interval", "30s"), CLOUD)).doesNotThrowAnyException();
        assertThatCode(() -> submit(Map.of(), CLOUD, "--checkpoint-interval", "30s")).doesNotThrowAnyException();
    }

    @Test
    void pubSubLeasesMustOutliveTwoCheckpointIntervalsOfTheCluster() {
        // --max-ack-extension defaults to 60min: a 40 min cluster interval would redeliver in-flight messages.
        assertThatThrownBy(() -> submit(Map.of("execution.checkpointing.interval", "40min"), CLOUD))
                .hasMessageContaining("--max-ack-extension").hasMessageContaining("twice the checkpoint interval");
        assertThatThrownBy(() -> submit(Map.of(), CLOUD, "--checkpoint-interval", "10min", "--max-ack-extension", "15min"))
                .hasMessageContaining("--max-ack-extension");
        assertThatCode(() -> submit(Map.of(), CLOUD, "--checkpoint-interval", "10min", "--max-ack-extension", "21min"))
                .doesNotThrowAnyException();
    }

    @Test
    void exactlyOnceBigQueryRefusesMoreWriteStreamsAnHourThanTheQuotaAllows() {
        List<String> bq = new ArrayList<>(CLOUD);
        bq.addAll(List.of("--output-bq-table", "p.d.t"));
        // 8 subtasks at 1s: up to 28,800 streams an hour, quota 10,000.
        assertThatThrownBy(() -> submit(Map.of("parallelism.default", "8"), bq, "--checkpoint-interval", "1s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("28800 write streams an hour")
                .hasMessageContaining("CreateWriteStream quota");
        // 8 subtasks at 30s: 960 an hour.
        assertThatCode(() -> submit(Map.of("parallelism.default", "8"), bq, "--checkpoint-interval", "30s"))
                .doesNotThrowAnyException();
        // The quota is the real service's: emulators and at-least-once (the _default stream) are exempt.
        assertThatCode(() -> submit(Map.of("parallelism.default", "8"), bq, "--checkpoint-interval", "1s",
                "--bq-delivery", "at-least-once")).doesNotThrowAnyException();
        assertThatCode(() -> submit(Map.of("parallelism.default", "8"), bq, "--checkpoint-interval", "1s",
                "--bigquery-write-endpoint", "127.0.0.1:1")).doesNotThrowAnyException();
    }
}
