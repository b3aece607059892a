package io.imageclassifier.config;

import java.time.Duration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;

/**
 * Durations and sizes from flags. A unit is required: Flink's parsers read a bare number as
 * milliseconds or bytes, so {@code --fetch-timeout 60} meant 60 ms and {@code --checkpoint-interval 30}
 * 30 ms (issue #11). Minimums and maximums are checked here too, and named in the message.
 */
final class Units {

    private Units() {}

    /** Parses {@code value} (e.g. {@code 500ms}, {@code 30s}, {@code 5min}, {@code 7d}), at least {@code minimum}. */
    static Duration duration(String flag, String value, String minimum) {
        ConfigException.require(value != null && !value.isBlank(), flag, "must not be empty");
        ConfigException.require(!isBareNumber(value), flag, value.strip() + " needs a unit, e.g. "
                + value.strip() + "s or " + value.strip() + "ms (units: ms, s, min, h, d)");
        Duration d;
        try {
            d = TimeUtils.parseDuration(value);
        } catch (RuntimeException e) {
            throw new ConfigException(flag + " is not a duration (e.g. 500ms, 30s, 5min, 7d): " + value);
        }
        ConfigException.require(d.compareTo(TimeUtils.parseDuration(minimum)) >= 0, flag,
                "must be at least " + minimum + ", was " + value.strip());
        return d;
    }

    /** Parses {@code value} (e.g. {@code 40mb}, {@code 512kb}, {@code 100b}), at most {@code maximum} when not null. */
    static long bytes(String flag, String value, String maximum) {
        ConfigException.require(value != null && !value.isBlank(), flag, "must not be empty");
        ConfigException.require(!isBareNumber(value), flag, value.strip() + " needs a unit, e.g. 40mb, 512kb or "
                + value.strip() + "b (units: b, kb, mb, gb)");
        long bytes;
        try {
            bytes = MemorySize.parse(value).getBytes();
        } catch (RuntimeException e) {
            throw new ConfigException(flag + " is not a size (e.g. 40mb, 512kb): " + value);
        }
        ConfigException.require(maximum == null || bytes <= MemorySize.parse(maximum).getBytes(), flag,
                "must be at most " + maximum + ", was " + value.strip());
        return bytes;
    }

    private static boolean isBareNumber(String value) {
        return value.strip().matches("[0-9]+");
    }
}
