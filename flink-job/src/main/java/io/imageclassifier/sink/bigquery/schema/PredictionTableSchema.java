package io.imageclassifier.sink.bigquery.schema;

import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.FieldList;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardSQLTypeName;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.TimePartitioning;
import com.google.cloud.bigquery.storage.v1.TableFieldSchema;
import com.google.cloud.bigquery.storage.v1.TableSchema;
import java.util.List;

/**
 * The one definition of the prediction table: the older job's ten seed columns in their order,
 * then the additions, day-partitioned on {@code event_time}. Both the REST schema (table creation
 * and validation) and the Storage Write schema (proto descriptor of appended rows) derive from it.
 */
public final class PredictionTableSchema {

    /** Column partitioned by day. */
    public static final String PARTITION_COLUMN = "event_time";

    /** Columns of the older (PySpark) job's table, which come first. */
    public static final int SEED_COLUMNS = 10;

    private static final List<Field> TOP_K_FIELDS = List.of(
            nullable("label", StandardSQLTypeName.STRING),
            nullable("label_index", StandardSQLTypeName.INT64),
            nullable("score", StandardSQLTypeName.FLOAT64));

    private static final Schema SCHEMA = Schema.of(
            nullable("bucket", StandardSQLTypeName.STRING),
            nullable("name", StandardSQLTypeName.STRING),
            nullable("contentType", StandardSQLTypeName.STRING),
            nullable("size", StandardSQLTypeName.STRING),
            nullable("timeCreated", StandardSQLTypeName.STRING),
            nullable("updated", StandardSQLTypeName.STRING),
            nullable("label", StandardSQLTypeName.STRING),
            nullable("score", StandardSQLTypeName.FLOAT64),
            nullable("model_name", StandardSQLTypeName.STRING),
            nullable("event_time", StandardSQLTypeName.TIMESTAMP),
            nullable("label_index", StandardSQLTypeName.INT64),
            Field.newBuilder("top_k", StandardSQLTypeName.STRUCT, FieldList.of(TOP_K_FIELDS))
                    .setMode(Field.Mode.REPEATED).build(),
            nullable("model_version", StandardSQLTypeName.STRING),
            nullable("generation", StandardSQLTypeName.STRING),
            nullable("source", StandardSQLTypeName.STRING));

    private PredictionTableSchema() {}

    /** The REST (google-cloud-bigquery) schema. */
    public static Schema schema() {
        return SCHEMA;
    }

    /** The columns this job added to the older job's ten, in order (all NULLABLE or REPEATED). */
    public static List<Field> additions() {
        return SCHEMA.getFields().subList(SEED_COLUMNS, SCHEMA.getFields().size());
    }

    /** Table definition for creation: the schema, day-partitioned on {@link #PARTITION_COLUMN}. */
    public static StandardTableDefinition tableDefinition() {
        return StandardTableDefinition.newBuilder()
                .setSchema(SCHEMA)
                .setTimePartitioning(TimePartitioning.newBuilder(TimePartitioning.Type.DAY)
                        .setField(PARTITION_COLUMN).build())
                .build();
    }

    /** The Storage Write schema the row descriptor is built from. */
    public static TableSchema storageSchema() {
        TableSchema.Builder builder = TableSchema.newBuilder();
        SCHEMA.getFields().forEach(f -> builder.addFields(toStorage(f)));
        return builder.build();
    }

    private static TableFieldSchema toStorage(Field field) {
        TableFieldSchema.Builder b = TableFieldSchema.newBuilder()
                .setName(field.getName())
                .setType(storageType(field.getType().getStandardType()))
                .setMode(field.getMode() == Field.Mode.REPEATED
                        ? TableFieldSchema.Mode.REPEATED : TableFieldSchema.Mode.NULLABLE);
        if (field.getSubFields() != null) {
            field.getSubFields().forEach(sub -> b.addFields(toStorage(sub)));
        }
        return b.build();
    }

    private static TableFieldSchema.Type storageType(StandardSQLTypeName type) {
        return switch (type) {
            case STRING -> TableFieldSchema.Type.STRING;
            case INT64 -> TableFieldSchema.Type.INT64;
            case FLOAT64 -> TableFieldSchema.Type.DOUBLE;
            case TIMESTAMP -> TableFieldSchema.Type.TIMESTAMP;
            case STRUCT -> TableFieldSchema.Type.STRUCT;
            default -> throw new IllegalArgumentException("no storage type for " + type);
        };
    }

    private static Field nullable(String name, StandardSQLTypeName type) {
        return Field.newBuilder(name, type).setMode(Field.Mode.NULLABLE).build();
    }
}
