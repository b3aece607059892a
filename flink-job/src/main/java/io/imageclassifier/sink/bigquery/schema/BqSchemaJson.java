package io.imageclassifier.sink.bigquery.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.FieldList;
import com.google.cloud.bigquery.Schema;
import java.io.UncheckedIOException;

/** A schema as the JSON file the {@code bq} tool reads and {@code bq show --schema} prints: {@code [{name, type, mode, fields}]}. */
public final class BqSchemaJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BqSchemaJson() {}

    /** One line of JSON. */
    public static String of(Schema schema) {
        try {
            return JSON.writeValueAsString(fields(schema.getFields()));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ArrayNode fields(FieldList fields) {
        ArrayNode out = JSON.createArrayNode();
        for (Field f : fields) {
            ObjectNode node = out.addObject().put("name", f.getName()).put("type", f.getType().name())
                    .put("mode", (f.getMode() == null ? Field.Mode.NULLABLE : f.getMode()).name());
            if (f.getDescription() != null) {
                node.put("description", f.getDescription());
            }
            if (f.getSubFields() != null && !f.getSubFields().isEmpty()) {
                node.set("fields", fields(f.getSubFields()));
            }
        }
        return out;
    }
}
