package io.imageclassifier.config;

import java.io.Serializable;

/**
 * The BigQuery output table.
 *
 * @param projectId     project of the table
 * @param dataset       dataset of the table
 * @param table         table name
 * @param delivery      exactly-once (default) or at-least-once
 * @param restEndpoint  BigQuery REST endpoint of an emulator (e.g. {@code http://127.0.0.1:9050}), or null
 * @param writeEndpoint Storage Write gRPC {@code host:port} of an emulator (plaintext), or null
 */
public record BigQueryConfig(
        String projectId,
        String dataset,
        String table,
        BigQueryDelivery delivery,
        String restEndpoint,
        String writeEndpoint) implements Serializable {
    public BigQueryConfig {
        ConfigException.require(projectId != null && dataset != null && table != null, "--output-bq-table",
                "must be PROJECT.DATASET.TABLE");
        ConfigException.require(delivery != null, "--bq-delivery", "must be set");
    }

    /** Parses the older job's {@code PROJECT.DATASET.TABLE} format. */
    public static BigQueryConfig parseTable(String spec, BigQueryDelivery delivery, String rest, String write) {
        String[] parts = spec.split("\\.");
        ConfigException.require(parts.length == 3 && !parts[0].isBlank() && !parts[1].isBlank()
                && !parts[2].isBlank(), "--output-bq-table", "must be PROJECT.DATASET.TABLE, was " + spec);
        return new BigQueryConfig(parts[0], parts[1], parts[2], delivery, rest, write);
    }

    /** {@code projects/P/datasets/D/tables/T}, as the Storage Write API names tables. */
    public String tablePath() {
        return "projects/" + projectId + "/datasets/" + dataset + "/tables/" + table;
    }

    /** Whether emulator endpoints are set (plaintext, no credentials). */
    public boolean emulator() {
        return (restEndpoint != null && !restEndpoint.isBlank()) || (writeEndpoint != null && !writeEndpoint.isBlank());
    }
}
