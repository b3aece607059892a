package io.imageclassifier.sink.bigquery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.config.BigQueryDelivery;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryRest;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import io.imageclassifier.sink.bigquery.services.GoogleBigQueryServices;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Table creation, validation and the older job's table (extended, or the bq update to run named)
 * through the real google-cloud-bigquery client against a REST fake.
 */
class BigQueryTableSetupTest {

    /** The older PySpark job's table: its ten columns only. */
    private static final String OLD_JOB_COLUMNS = """
            [{"name":"bucket","type":"STRING"},{"name":"name","type":"STRING"},{"name":"contentType","type":"STRING"},
             {"name":"size","type":"STRING"},{"name":"timeCreated","type":"STRING"},{"name":"updated","type":"STRING"},
             {"name":"label","type":"STRING"},{"name":"score","type":"FLOAT"},{"name":"model_name","type":"STRING"},
             {"name":"event_time","type":"TIMESTAMP"}]""";

    private FakeBigQueryRest rest;
    private BigQueryConfig config;

    @BeforeEach
    void start() throws Exception {
        rest = new FakeBigQueryRest().start();
        config = BigQueryConfig.parseTable("proj.ds.predictions", BigQueryDelivery.EXACTLY_ONCE, rest.endpoint(), null);
    }

    @AfterEach
    void stop() {
        rest.close();
    }

    @Test
    void createsMissingTableWithSeedColumnsFirstAndDayPartitionsOnEventTime() {
        try (BigQueryServices services = new GoogleBigQueryServices(config)) {
            assertThat(BigQueryTableSetup.ensureTable(services, config)).isTrue();
        }
        JsonNode table = rest.table("proj", "ds", "predictions");
        assertThat(columns(table)).startsWith("bucket STRING", "name STRING", "contentType STRING", "size STRING",
                "timeCreated STRING", "updated STRING", "label STRING", "score FLOAT", "model_name STRING",
                "event_time TIMESTAMP", "label_index INTEGER", "top_k RECORD");
        assertThat(table.path("timePartitioning").path("type").asText()).isEqualTo("DAY");
        assertThat(table.path("timePartitioning").path("field").asText()).isEqualTo("event_time");
    }

    @Test
    void acceptsTheTableItCreatedOnTheNextStart() {
        try (BigQueryServices services = new GoogleBigQueryServices(config)) {
            BigQueryTableSetup.ensureTable(services, config);
            assertThat(BigQueryTableSetup.ensureTable(services, config)).isFalse();
        }
    }

    @Test
    void addsTheMissingColumnsToTheOlderJobsTableKeepingItsOwn() throws Exception {
        rest.putTable("proj", "ds", "predictions", OLD_JOB_COLUMNS);

        try (BigQueryServices services = new GoogleBigQueryServices(config)) {
            assertThat(BigQueryTableSetup.ensureTable(services, config)).isFalse();
            assertThat(BigQueryTableSetup.ensureTable(services, config)).as("accepted on the next start").isFalse();
        }
        assertThat(columns(rest.table("proj", "ds", "predictions"))).containsExactly(
                "bucket STRING", "name STRING", "contentType STRING", "size STRING", "timeCreated STRING",
                "updated STRING", "label STRING", "score FLOAT", "model_name STRING", "event_time TIMESTAMP",
                "label_index INTEGER", "top_k RECORD", "model_version STRING", "generation STRING", "source STRING");
    }

    @Test
    void saysWhichBqUpdateToRunWhenItMayNotAddTheColumns() throws Exception {
        rest.putTable("proj", "ds", "predictions", OLD_JOB_COLUMNS);
        rest.denyUpdates();

        try (BigQueryServices services = new GoogleBigQueryServices(config)) {
            assertThatThrownBy(() -> BigQueryTableSetup.ensureTable(services, config))
                    .isInstanceOf(BigQueryTableSetup.SchemaUpdateDeniedException.class)
                    .hasMessageContaining("proj.ds.predictions")
                    .hasMessageContaining("lacks label_index, top_k, model_version, generation, source")
                    .hasMessageContaining("Permission bigquery.tables.update denied")
                    .hasMessageContaining("bq update proj:ds.predictions predictions-schema.json")
                    .satisfies(e -> {
                        // The echoed file is exactly the table's columns plus the missing ones.
                        Matcher echo = Pattern.compile("echo '(.*)' > predictions-schema.json").matcher(e.getMessage());
                        assertThat(echo.find()).isTrue();
                        JsonNode file = new ObjectMapper().readTree(echo.group(1));
                        List<String> names = new ArrayList<>();
                        file.forEach(f -> names.add(f.path("name").asText() + " " + f.path("mode").asText()));
                        assertThat(names).containsExactly("bucket NULLABLE", "name NULLABLE", "contentType NULLABLE",
                                "size NULLABLE", "timeCreated NULLABLE", "updated NULLABLE", "label NULLABLE",
                                "score NULLABLE", "model_name NULLABLE", "event_time NULLABLE", "label_index NULLABLE",
                                "top_k REPEATED", "model_version NULLABLE", "generation NULLABLE", "source NULLABLE");
                        assertThat(file.get(11).path("fields")).hasSize(3);
                    });
        }
        assertThat(columns(rest.table("proj", "ds", "predictions"))).as("table unchanged").hasSize(10);
    }

    @Test
    void doesNotExtendATableMissingOneOfTheOlderJobsColumns() throws Exception {
        rest.putTable("proj", "ds", "predictions", OLD_JOB_COLUMNS.replace("{\"name\":\"updated\",\"type\":\"STRING\"},", ""));

        try (BigQueryServices services = new GoogleBigQueryServices(config)) {
            assertThatThrownBy(() -> BigQueryTableSetup.ensureTable(services, config))
                    .isInstanceOf(BigQueryTableSetup.IncompatibleTableSchemaException.class)
                    .hasMessageContaining("updated: missing");
        }
        assertThat(columns(rest.table("proj", "ds", "predictions"))).hasSize(9);
    }

    @Test
    void rejectsAnIncompatibleTableNamingTheDifferingColumns() throws Exception {
        rest.putTable("proj", "ds", "predictions", """
                [{"name":"bucket","type":"STRING"},{"name":"name","type":"STRING"},
                 {"name":"size","type":"INTEGER"},{"name":"owner","type":"STRING","mode":"REQUIRED"}]""");

        try (BigQueryServices services = new GoogleBigQueryServices(config)) {
            assertThatThrownBy(() -> BigQueryTableSetup.ensureTable(services, config))
                    .isInstanceOf(BigQueryTableSetup.IncompatibleTableSchemaException.class)
                    .hasMessageContaining("proj.ds.predictions")
                    .hasMessageContaining("size: expected STRING NULLABLE, found INT64 NULLABLE")
                    .hasMessageContaining("contentType: missing")
                    .hasMessageContaining("owner: unexpected REQUIRED column");
        }
    }

    private static List<String> columns(JsonNode table) {
        List<String> columns = new ArrayList<>();
        table.path("schema").path("fields").forEach(f -> columns.add(f.path("name").asText() + " " + f.path("type").asText()));
        return columns;
    }
}
