package io.imageclassifier.preflight;

import io.imageclassifier.config.JobConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Runs every submission check on the environment the job is about to be built on. */
public final class Preflight {

    private Preflight() {}

    /**
     * @throws io.imageclassifier.config.ConfigException naming what is wrong and how to fix it
     */
    public static void check(StreamExecutionEnvironment env, JobConfig config) {
        CheckpointCheck.check(env, config);
        FileSystemCheck.check(config);
        ModelCheck.check(config.model(), config.gcs());
    }
}
