package io.imageclassifier;

import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.IMAGES;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.TABLE;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.field;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.uniqueBy;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.DynamicMessage;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.sink.bigquery.LocalBigQueryJob;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryRest;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryWrite;
import io.imageclassifier.testing.JsonRows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real local-mode job over 600 files (see {@link LocalBigQueryJob}) with --output-bq-table:
 * every image becomes exactly one committed BigQuery row (the Storage Write gRPC fake, through the
 * real client; at least one in at-least-once mode) and exactly one JSON row, with the same values
 * in both, in both delivery modes, also when the TaskManager is killed mid-run.
 */
class LocalToBigQueryITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir Path input;
    @TempDir Path output;
    private FakeBigQueryWrite write;
    private FakeBigQueryRest rest;
    private Set<String> images;

    @BeforeEach
    void start() throws Exception {
        write = new FakeBigQueryWrite().start();
        rest = new FakeBigQueryRest().start();
        images = LocalBigQueryJob.copyImages(input);
    }

    @AfterEach
    void stop() throws Exception {
        write.close();
        rest.close();
    }

    @ParameterizedTest(name = "{0}, TaskManager killed: {1}")
    @CsvSource({"exactly-once, false", "at-least-once, false", "exactly-once, true", "at-least-once, true"})
    void everyImageBecomesOneCommittedRow(String delivery, boolean killTaskManager,
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        JobConfig config = LocalBigQueryJob.config(input, output, rest, write, delivery);
        CompletableFuture<Integer> killer = killTaskManager
                ? LocalBigQueryJob.onceSomeRowsAreCommitted(write, () -> {
                    cluster.terminateTaskManager(0).get();
                    int committed = write.committedRows(TABLE).size();
                    cluster.startTaskManager();
                    return committed;
                })
                : null;
        LocalBigQueryJob.job(config, new Configuration()).execute("local-to-bigquery");
        if (killer != null) {
            assertThat(killer.get()).as("rows committed once the TaskManager was dead: work was in flight")
                    .isLessThan(IMAGES);
        }

        Map<String, List<DynamicMessage>> byName = LocalBigQueryJob.committedByName(write);
        assertThat(byName.keySet()).containsExactlyInAnyOrderElementsOf(images);
        if (delivery.equals("exactly-once")) {
            LocalBigQueryJob.assertEveryImageCommittedOnce(write, images);
        } else {
            assertThat(write.committedRows(TABLE).size()).isGreaterThanOrEqualTo(IMAGES);
        }

        // Exactly one JSON row per image (the file sink is exactly-once in both modes), with the same prediction.
        Map<String, JsonNode> files = uniqueBy(JsonRows.read(output.resolve("predictions")), r -> r.get("name").asText());
        assertThat(files.keySet()).containsExactlyInAnyOrderElementsOf(images);
        for (Map.Entry<String, List<DynamicMessage>> e : byName.entrySet()) {
            DynamicMessage row = e.getValue().get(0);
            JsonNode file = files.get(e.getKey());
            assertThat(field(row, "bucket")).isEqualTo("local");
            assertThat(field(row, "label")).isEqualTo(file.get("label").asText());
            assertThat(field(row, "label_index")).isEqualTo(file.get("label_index").asLong());
            assertThat((double) field(row, "score")).isEqualTo(file.get("score").asDouble());
            assertThat(field(row, "size")).isEqualTo(Long.toString(Files.size(input.resolve(e.getKey()))));
            assertThat(field(row, "model_name")).isEqualTo("mobilenetv2-12-int8");
            assertThat((List<?>) field(row, "top_k")).hasSize(5);
        }
    }
}
