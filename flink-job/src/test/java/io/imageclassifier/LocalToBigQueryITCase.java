package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.DynamicMessage;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryRest;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryWrite;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real local-mode job over the 200 dev-set photos, three times (600 files under three folders:
 * long enough that a TaskManager killed after the first commit dies mid-run), with
 * --output-bq-table: every image becomes
 * exactly one committed BigQuery row (the Storage Write gRPC fake, through the real client), with
 * the same values as the JSON file sink, in both delivery modes, also when the TaskManager is
 * killed halfway.
 */
class LocalToBigQueryITCase {
    private static final String TABLE = "projects/proj/datasets/ds/tables/predictions";
    private static final int IMAGES = 600;

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

    @BeforeEach
    void start() throws Exception {
        write = new FakeBigQueryWrite().start();
        rest = new FakeBigQueryRest().start();
        for (String copy : List.of("a", "b", "c")) {
            Path dir = Files.createDirectories(input.resolve(copy));
            for (Path image : SharedData.devImages()) {
                Files.copy(image, dir.resolve(image.getFileName()));
            }
        }
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
        JobConfig config = JobConfigParser.parse(new String[] {
            "--input-dir", input.toString(), "--output-dir", output.toString(), "--once", "--no-console",
            "--parallelism", "2", "--checkpoint-interval", "300ms",
            "--output-bq-table", "proj.ds.predictions", "--bq-delivery", delivery,
            "--bigquery-endpoint", rest.endpoint(), "--bigquery-write-endpoint", write.endpoint()
        }, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);

        CompletableFuture<Integer> killer = killTaskManager ? killOnceRowsAreCommitted(cluster, 40) : null;
        env.execute("local-to-bigquery");
        if (killer != null) {
            assertThat(killer.get()).as("rows committed when the TaskManager died: mid-run").isLessThan(IMAGES);
        }

        List<DynamicMessage> rows = write.committedRows(TABLE);
        Map<String, List<DynamicMessage>> byName = rows.stream().collect(Collectors.groupingBy(r -> (String) field(r, "name")));
        assertThat(byName).hasSize(IMAGES);
        if (delivery.equals("exactly-once")) {
            assertThat(rows).hasSize(IMAGES);
        } else {
            assertThat(rows.size()).isGreaterThanOrEqualTo(IMAGES);
        }

        // The same prediction as the JSON file sink wrote for each image.
        Map<String, JsonNode> files = JsonRows.read(output.resolve("predictions")).stream()
                .collect(Collectors.toMap(r -> r.get("name").asText(), Function.identity(), (a, b) -> a));
        assertThat(files).hasSize(IMAGES);
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

    /**
     * Kills the only TaskManager once some rows are committed, and starts a fresh one; returns how
     * many rows were committed at that moment.
     */
    private CompletableFuture<Integer> killOnceRowsAreCommitted(MiniCluster cluster, int rows) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (write.committedRows(TABLE).size() < rows) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("no rows were committed within 120 s");
                    }
                    Thread.sleep(20);
                }
                int committed = write.committedRows(TABLE).size();
                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();
                return committed;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static Object field(DynamicMessage row, String name) {
        return row.getField(row.getDescriptorForType().findFieldByName(name));
    }
}
