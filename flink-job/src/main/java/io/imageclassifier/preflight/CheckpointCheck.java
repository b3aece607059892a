package io.imageclassifier.preflight;

import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.config.BigQueryDelivery;
import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.SourceKind;
import java.time.Duration;
import org.apache.flink.streaming.api.environment.CheckpointConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The checkpointing the job will really run with (the cluster's, or the flag's) must suit it:
 * Pub/Sub acks, the JSON files and BigQuery commits all happen on checkpoints, so an unbounded run
 * without them would never publish a row; Pub/Sub leases must outlive two intervals; and exactly-once
 * BigQuery opens up to one write stream per sink subtask per checkpoint, which must stay within the
 * CreateWriteStream quota.
 */
final class CheckpointCheck {

    /** BigQuery Storage Write API: CreateWriteStream, streams per hour, per project and region. */
    static final long CREATE_WRITE_STREAM_QUOTA_PER_HOUR = 10_000;

    private CheckpointCheck() {}

    static void check(StreamExecutionEnvironment env, JobConfig config) {
        CheckpointConfig checkpoints = env.getCheckpointConfig();
        boolean unbounded = config.source() == SourceKind.PUBSUB || !config.local().once();
        if (!checkpoints.isCheckpointingEnabled() || checkpoints.getCheckpointInterval() <= 0) {
            if (unbounded) {
                throw new ConfigException("checkpointing is off on this cluster, and this job publishes its results "
                        + "on checkpoints (Pub/Sub acks, the JSON files, BigQuery commits): set "
                        + "execution.checkpointing.interval in the cluster's configuration (e.g. 30s), or pass "
                        + "--checkpoint-interval 30s");
            }
            return; // a bounded run publishes everything when its input ends
        }
        Duration interval = Duration.ofMillis(checkpoints.getCheckpointInterval());
        if (config.pubsub() != null && config.pubsub().maxAckExtension().compareTo(interval.multipliedBy(2)) <= 0) {
            throw new ConfigException("--max-ack-extension " + config.pubsub().maxAckExtension() + " must be more than "
                    + "twice the checkpoint interval (" + interval + "): messages are acked on checkpoints, and a "
                    + "shorter lease makes Pub/Sub redeliver messages still in flight");
        }
        BigQueryConfig bq = config.bigquery();
        if (bq != null && bq.delivery() == BigQueryDelivery.EXACTLY_ONCE && !bq.emulator()) {
            long parallelism = Math.max(1, env.getParallelism());
            long perHour = parallelism * Duration.ofHours(1).toMillis() / interval.toMillis();
            if (perHour > CREATE_WRITE_STREAM_QUOTA_PER_HOUR) {
                throw new ConfigException("exactly-once BigQuery at parallelism " + parallelism + " and a checkpoint "
                        + "every " + interval + " opens up to " + perHour + " write streams an hour, over the "
                        + "CreateWriteStream quota (" + CREATE_WRITE_STREAM_QUOTA_PER_HOUR + " per hour, project and "
                        + "region): lengthen the checkpoint interval (execution.checkpointing.interval or "
                        + "--checkpoint-interval) or use --bq-delivery at-least-once");
            }
        }
    }
}
