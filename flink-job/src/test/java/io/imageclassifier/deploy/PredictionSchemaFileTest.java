package io.imageclassifier.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.FieldList;
import io.imageclassifier.sink.bigquery.schema.PredictionTableSchema;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * scripts/gcp-setup.sh creates the BigQuery table from scripts/bigquery/predictions-schema.json;
 * the job validates an existing table against {@link PredictionTableSchema}. They must agree.
 */
class PredictionSchemaFileTest {

    @Test
    void gcpSetupSchemaFileMatchesTheJobsTableSchema() throws Exception {
        JsonNode file = new ObjectMapper().readTree(
                Files.readString(RepoPaths.root().resolve("scripts/bigquery/predictions-schema.json")));
        assertThat(describe(file)).isEqualTo(describe(PredictionTableSchema.schema().getFields()));
        assertThat(Files.readString(RepoPaths.root().resolve("scripts/gcp-setup.sh")))
                .contains("--time_partitioning_field=" + PredictionTableSchema.PARTITION_COLUMN);
    }

    private static List<String> describe(JsonNode fields) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : fields) {
            String type = switch (f.path("type").asText()) {
                case "RECORD" -> "STRUCT";
                default -> f.path("type").asText();
            };
            out.add(f.path("name").asText() + " " + type + " " + f.path("mode").asText("NULLABLE"));
            if (f.has("fields")) {
                describe(f.path("fields")).forEach(s -> out.add(f.path("name").asText() + "." + s));
            }
        }
        return out;
    }

    private static List<String> describe(FieldList fields) {
        List<String> out = new ArrayList<>();
        for (Field f : fields) {
            String mode = f.getMode() == null ? "NULLABLE" : f.getMode().name();
            out.add(f.getName() + " " + f.getType().getStandardType().name() + " " + mode);
            if (f.getSubFields() != null) {
                describe(f.getSubFields()).forEach(s -> out.add(f.getName() + "." + s));
            }
        }
        return out;
    }
}
