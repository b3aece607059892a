package io.imageclassifier.sink.bigquery;

import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.sink.bigquery.schema.BqSchemaJson;
import io.imageclassifier.sink.bigquery.schema.PredictionTableSchema;
import io.imageclassifier.sink.bigquery.schema.SchemaCompatibility;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the output table exists with a schema the sink can write: creates it when missing
 * (seed columns, then additions, day-partitioned on {@code event_time}); adds the additions to the
 * older job's table (its ten seed columns), a change BigQuery allows on a live table (appending
 * NULLABLE/REPEATED columns), or, without the permission, refuses naming the {@code bq update} that
 * does it; refuses, naming every differing column, any other table that does not fit. Runs once
 * when the job is built.
 */
public final class BigQueryTableSetup {

    private static final Logger LOG = LoggerFactory.getLogger(BigQueryTableSetup.class);

    private BigQueryTableSetup() {}

    /** Creates, extends or validates the table; returns true when it was created. */
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
        Schema actual = existing.orElse(Schema.of());
        List<String> differences = SchemaCompatibility.differences(PredictionTableSchema.schema(), actual);
        if (differences.isEmpty()) {
            return false;
        }
        List<Field> missing = missingAdditions(actual);
        Schema extended = withColumns(actual, missing);
        if (missing.isEmpty() || !SchemaCompatibility.differences(PredictionTableSchema.schema(), extended).isEmpty()) {
            throw new IncompatibleTableSchemaException(name(config), differences);
        }
        addColumns(services, config, missing, extended);
        return false;
    }

    private static void addColumns(BigQueryServices services, BigQueryConfig config, List<Field> missing,
            Schema extended) {
        try {
            services.updateSchema(config.projectId(), config.dataset(), config.table(), extended);
        } catch (BigQueryException e) {
            if (e.getCode() == 403) {
                throw new SchemaUpdateDeniedException(config, names(missing), extended, e);
            }
            throw new IllegalStateException("cannot add the columns " + names(missing) + " to BigQuery table "
                    + name(config) + ": " + e.getMessage(), e);
        }
        LOG.info("Added the columns {} to BigQuery table {} (the older job's table)", names(missing), name(config));
    }

    private static List<Field> missingAdditions(Schema actual) {
        List<Field> missing = new ArrayList<>();
        for (Field want : PredictionTableSchema.additions()) {
            boolean present = actual.getFields().stream()
                    .anyMatch(f -> f.getName().toLowerCase(Locale.ROOT).equals(want.getName().toLowerCase(Locale.ROOT)));
            if (!present) {
                missing.add(want);
            }
        }
        return missing;
    }

    private static Schema withColumns(Schema actual, List<Field> columns) {
        List<Field> fields = new ArrayList<>(actual.getFields());
        fields.addAll(columns);
        return Schema.of(fields);
    }

    private static String names(List<Field> fields) {
        return String.join(", ", fields.stream().map(Field::getName).toList());
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

    /** The older job's table lacks the added columns and the job may not add them; the message says how to. */
    public static final class SchemaUpdateDeniedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        SchemaUpdateDeniedException(BigQueryConfig config, String columns, Schema extended, BigQueryException cause) {
            super("BigQuery table " + name(config) + " (--output-bq-table) has the older job's columns but lacks "
                    + columns + ", and this job may not add them (" + cause.getMessage() + "). Adding them keeps every"
                    + " existing row and query working. Either grant the job's service account bigquery.tables.update on"
                    + " the table (roles/bigquery.dataEditor), or have someone who may run:\n"
                    + "  echo '" + BqSchemaJson.of(extended).replace("'", "'\\''") + "' > " + config.table() + "-schema.json\n"
                    + "  bq update " + config.projectId() + ":" + config.dataset() + "." + config.table() + " "
                    + config.table() + "-schema.json\n"
                    + "then start the job again.", cause);
        }
    }
}
