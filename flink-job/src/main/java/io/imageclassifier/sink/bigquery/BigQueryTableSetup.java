package io.imageclassifier.sink.bigquery;

import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.sink.bigquery.schema.PredictionTableSchema;
import io.imageclassifier.sink.bigquery.schema.SchemaCompatibility;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import java.util.List;
import java.util.Optional;

/**
 * Makes sure the output table exists with a schema the sink can write: creates it when missing
 * (seed columns, then additions, day-partitioned on {@code event_time}); refuses, naming every
 * differing column, when an existing table's schema does not fit. Runs once when the job is built.
 */
public final class BigQueryTableSetup {

    private BigQueryTableSetup() {}

    /** Creates or validates the table; returns true when it was created. */
    public static boolean ensureTable(BigQueryServices services, BigQueryConfig config) {
        Optional<Schema> existing = services.tableSchema(config.projectId(), config.dataset(), config.table());
        if (existing.isEmpty()) {
            try {
                services.createTable(TableInfo.of(TableId.of(config.projectId(), config.dataset(), config.table()),
                        PredictionTableSchema.tableDefinition()));
                return true;
            } catch (BigQueryException e) {
                if (e.getCode() != 409) {
                    throw new IllegalStateException("cannot create BigQuery table " + name(config) + ": "
                            + e.getMessage(), e);
                }
                existing = services.tableSchema(config.projectId(), config.dataset(), config.table());
            }
        }
        List<String> differences = SchemaCompatibility.differences(PredictionTableSchema.schema(),
                existing.orElse(null));
        if (!differences.isEmpty()) {
            throw new IncompatibleTableSchemaException(name(config), differences);
        }
        return false;
    }

    private static String name(BigQueryConfig config) {
        return config.projectId() + "." + config.dataset() + "." + config.table();
    }

    /** The existing table cannot take prediction rows; the message lists the differing columns. */
    public static final class IncompatibleTableSchemaException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final List<String> differences;

        IncompatibleTableSchemaException(String table, List<String> differences) {
            super("BigQuery table " + table + " (--output-bq-table) has a schema incompatible with prediction rows; "
                    + "differing columns: " + String.join("; ", differences)
                    + ". Use another table or migrate this one.");
            this.differences = List.copyOf(differences);
        }

        public List<String> differences() {
            return differences;
        }
    }
}
