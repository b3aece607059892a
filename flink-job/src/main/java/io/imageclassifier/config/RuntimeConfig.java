package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * Flink-level settings of the job. Each is null (or 0) unless its flag was given: on a cluster,
 * Flink's settings belong to the cluster's configuration, and the job only overrides what the user
 * asked for by flag. The embedded local mode, where the job is the cluster, fills in its own defaults
 * ({@code ImageClassifierJob}).
 *
 * @param parallelism          operator parallelism; 0 when not given (the cluster's default)
 * @param checkpointInterval   checkpoint interval (also when Pub/Sub acks and sink commits happen), or null
 * @param unalignedCheckpoints whether checkpoints are unaligned, or null
 * @param bufferTimeout        how long a partly filled network buffer waits, or null
 * @param checkpointDir        where checkpoints are written ({@code execution.checkpointing.dir}), or null
 * @param webUiPort            embedded local mode only: port or range for the web UI and REST API
 * @param dedupeTtl            how long an object version is remembered as already classified
 */
public record RuntimeConfig(
        int parallelism,
        Duration checkpointInterval,
        Boolean unalignedCheckpoints,
        Duration bufferTimeout,
        String checkpointDir,
        String webUiPort,
        Duration dedupeTtl) implements Serializable {
    public RuntimeConfig {
        ConfigException.require(parallelism >= 0, "--parallelism", "must be >= 1 (or 0: the cluster's), was "
                + parallelism);
        ConfigException.require(checkpointDir == null || !checkpointDir.isBlank(), "--checkpoint-dir",
                "must not be empty");
        ConfigException.require(webUiPort != null && webUiPort.matches("[0-9]{1,5}(-[0-9]{1,5})?"), "--web-ui-port",
                "must be a port or a range such as 8081-8090, was " + webUiPort);
        ConfigException.require(dedupeTtl != null, "--dedupe-ttl", "must be set");
    }
}
