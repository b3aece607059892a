package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * Flink-level settings of the job.
 *
 * @param parallelism        operator parallelism; 0 leaves it to the cluster's default
 * @param checkpointInterval exactly-once checkpoint interval (also when Pub/Sub acks and sink
 *                           commits happen)
 * @param dedupeTtl          how long an object version is remembered as already classified
 */
public record RuntimeConfig(int parallelism, Duration checkpointInterval, Duration dedupeTtl)
        implements Serializable {
    public RuntimeConfig {
        ConfigException.require(parallelism >= 0, "--parallelism", "must be >= 1, was " + parallelism);
        ConfigException.require(checkpointInterval != null && checkpointInterval.toMillis() >= 10,
                "--checkpoint-interval", "must be at least 10ms");
        ConfigException.require(dedupeTtl != null && dedupeTtl.toMillis() >= 1000,
                "--dedupe-ttl", "must be at least 1s");
    }
}
