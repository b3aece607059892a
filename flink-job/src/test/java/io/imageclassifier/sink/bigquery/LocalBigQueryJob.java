package io.imageclassifier.sink.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryRest;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryWrite;
import io.imageclassifier.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The real local-mode job with {@code --output-bq-table} against the BigQuery fakes, for ITs: 600
 * files (the 200 dev-set photos under three folders, long enough that a fault injected after the
 * first commits lands mid-run), the job graph exactly as {@code ImageClassifierJob} builds it, and
 * the checks every such IT makes.
 */
public final class LocalBigQueryJob {

    /** The table as the Storage Write API names it. */
    public static final String TABLE = "projects/proj/datasets/ds/tables/predictions";
    /** The table as {@code --output-bq-table} and error messages name it. */
    public static final String TABLE_NAME = "proj.ds.predictions";
    public static final int IMAGES = 600;
    /** Rows committed before a fault is injected: past the first checkpoints, far from the end. */
    public static final int ROWS_BEFORE_FAULT = 40;

    private LocalBigQueryJob() {}

    /** Copies the dev photos into {@code input/a}, {@code b} and {@code c}; returns their names as rows carry them. */
    public static Set<String> copyImages(Path input) throws IOException {
        Set<String> names = new TreeSet<>();
        for (String copy : List.of("a", "b", "c")) {
            Path dir = Files.createDirectories(input.resolve(copy));
            for (Path image : SharedData.devImages()) {
                Files.copy(image, dir.resolve(image.getFileName()));
                names.add(copy + "/" + image.getFileName());
            }
        }
        assertThat(names).hasSize(IMAGES);
        return names;
    }

    /** The job's configuration: {@code --once}, parallelism 2, a checkpoint (and commit) every 300 ms. */
    public static JobConfig config(Path input, Path output, FakeBigQueryRest rest, FakeBigQueryWrite write,
            String delivery) {
        return JobConfigParser.parse(new String[] {
            "--input-dir", input.toString(), "--output-dir", output.toString(), "--once", "--no-console",
            "--parallelism", "2", "--checkpoint-interval", "300ms",
            "--output-bq-table", TABLE_NAME, "--bq-delivery", delivery,
            "--bigquery-endpoint", rest.endpoint(), "--bigquery-write-endpoint", write.endpoint()
        }, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
    }

    /** The whole job graph on the test's MiniCluster, with {@code flinkSettings} (restart strategy, checkpoint storage...). */
    public static StreamExecutionEnvironment job(JobConfig config, Configuration flinkSettings) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkSettings);
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env;
    }

    /** The committed rows by name, each name with all its rows. */
    public static Map<String, List<DynamicMessage>> committedByName(FakeBigQueryWrite write) {
        return write.committedRows(TABLE).stream().collect(Collectors.groupingBy(r -> (String) field(r, "name")));
    }

    /** Asserts that every image has exactly one committed row and there is no other row. */
    public static void assertEveryImageCommittedOnce(FakeBigQueryWrite write, Set<String> images) {
        Map<String, List<DynamicMessage>> byName = committedByName(write);
        assertThat(byName.keySet()).as("committed images").containsExactlyInAnyOrderElementsOf(images);
        assertThat(byName.entrySet()).as("images committed more than once")
                .filteredOn(e -> e.getValue().size() > 1).isEmpty();
        assertThat(write.committedRows(TABLE)).hasSize(images.size());
    }

    /**
     * Runs {@code fault} once {@link #ROWS_BEFORE_FAULT} rows are committed; completes with what it
     * returns. Fails if that never happens within two minutes.
     */
    public static <T> CompletableFuture<T> onceSomeRowsAreCommitted(FakeBigQueryWrite write, Callable<T> fault) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                awaitCommitted(write, ROWS_BEFORE_FAULT, Duration.ofMinutes(2));
                return fault.call();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** Waits until {@code rows} rows are committed. */
    public static void awaitCommitted(FakeBigQueryWrite write, int rows, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (write.committedRows(TABLE).size() < rows) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(rows + " rows were not committed within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    public static Object field(DynamicMessage row, String name) {
        return row.getField(row.getDescriptorForType().findFieldByName(name));
    }

    /** Rows by a key, failing on a duplicate key (where {@code toMap(..., (a, b) -> a)} would hide it). */
    public static <T> Map<String, T> uniqueBy(List<T> rows, Function<T, String> key) {
        Map<String, List<T>> grouped = rows.stream().collect(Collectors.groupingBy(key));
        assertThat(grouped.entrySet()).as("duplicate rows").filteredOn(e -> e.getValue().size() > 1).isEmpty();
        return grouped.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get(0)));
    }
}
