package io.imageclassifier.sink.bigquery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.config.BigQueryDelivery;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryRest;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import io.imageclassifier.sink.bigquery.services.GoogleBigQueryServices;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Table creation and validation through the real google-cloud-bigquery client against a REST fake. */
class BigQueryTableSetupTest {

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
        List<String> columns = new ArrayList<>();
        table.path("schema").path("fields").forEach(f -> columns.add(f.path("name").asText() + " " + f.path("type").asText()));
        assertThat(columns).startsWith("bucket STRING", "name STRING", "contentType STRING", "size STRING",
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
}
