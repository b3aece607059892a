package io.imageclassifier.sink.bigquery;

import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;

/**
 * Rejects, when the job is built, a restart strategy that can burn BigQuery Storage Write quota:
 * every restart of the exactly-once sink creates new PENDING streams and re-appends the rows since
 * the last checkpoint, so a crash loop restarting at a fixed short delay, many times, spends
 * CreateWriteStream and append quota for nothing. Allowed: exponential-delay (Flink's default with
 * checkpointing), failure-rate, none, or fixed-delay with at most {@value #MAX_FIXED_DELAY_ATTEMPTS}
 * attempts.
 */
public final class RestartStrategyCheck {

    public static final int MAX_FIXED_DELAY_ATTEMPTS = 10;

    private RestartStrategyCheck() {}

    /** Throws {@link IllegalArgumentException} naming the option when the strategy is unsafe. */
    public static void validate(ReadableConfig config) {
        String type = config.getOptional(RestartStrategyOptions.RESTART_STRATEGY).orElse("");
        boolean fixed = type.equalsIgnoreCase("fixed-delay") || type.equalsIgnoreCase("fixeddelay");
        int attempts = config.get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS);
        if (fixed && attempts > MAX_FIXED_DELAY_ATTEMPTS) {
            throw new IllegalArgumentException(RestartStrategyOptions.RESTART_STRATEGY.key()
                    + "=fixed-delay with " + attempts + " attempts can burn BigQuery Storage Write quota in a crash loop "
                    + "(each restart creates write streams and re-appends rows): use exponential-delay, or at most "
                    + MAX_FIXED_DELAY_ATTEMPTS + " " + RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS.key());
        }
    }
}
