package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * Local directory source.
 *
 * @param inputDir        directory to read; files in sub-directories are included
 * @param once            process what is there and finish (bounded) instead of watching
 * @param monitorInterval how often a watched directory is listed for new files
 */
public record LocalSourceConfig(String inputDir, boolean once, Duration monitorInterval)
        implements Serializable {
    public LocalSourceConfig {
        ConfigException.require(inputDir != null && !inputDir.isBlank(), "--input-dir", "must not be empty");
        ConfigException.require(monitorInterval != null && !monitorInterval.isNegative()
                && !monitorInterval.isZero(), "--monitor-interval", "must be positive");
    }
}
