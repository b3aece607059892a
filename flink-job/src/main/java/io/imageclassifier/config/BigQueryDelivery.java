package io.imageclassifier.config;

/** Delivery guarantee of the BigQuery sink. */
public enum BigQueryDelivery {
    /** PENDING streams with explicit offsets, committed when the checkpoint completes. */
    EXACTLY_ONCE,
    /** The table's _default stream; rows may repeat after a failure. */
    AT_LEAST_ONCE;

    /** Parses {@code exactly-once} / {@code at-least-once}. */
    public static BigQueryDelivery parse(String value) {
        return switch (value) {
            case "exactly-once" -> EXACTLY_ONCE;
            case "at-least-once" -> AT_LEAST_ONCE;
            default -> throw new ConfigException("--bq-delivery must be exactly-once or at-least-once, was " + value);
        };
    }
}
