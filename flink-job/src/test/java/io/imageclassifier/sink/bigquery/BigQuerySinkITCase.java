package io.imageclassifier.sink.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.config.BigQueryDelivery;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryRest;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryWrite;
import io.imageclassifier.sink.bigquery.services.GoogleBigQueryServices;
import io.imageclassifier.sink.bigquery.fake.ObjectStoreFileSystem;
import io.imageclassifier.testing.JsonRows;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 predictions through the BigQuery sink on a MiniCluster, into the BigQueryWrite gRPC fake via
 * the real Storage Write client, in both delivery modes, with and without injected failures: one
 * while rows are appended but not committed, one after a commit; and rows BigQuery rejects, which
 * must become visible dead letters while the job runs.
 */
class BigQuerySinkITCase {

    private static final int ROWS = 200;
    private static final String TABLE = "projects/proj/datasets/ds/tables/predictions";

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** The fake the failure injector inspects (same JVM as the MiniCluster). */
    static volatile FakeBigQueryWrite fake;
    static final AtomicBoolean failedBeforeCommit = new AtomicBoolean();
    static final AtomicBoolean failedAfterCommit = new AtomicBoolean();
    /** Rows appended but not committed when the first failure was injected. */
    static final AtomicLong uncommittedAtFailure = new AtomicLong();
    /** Which mode runs: the first failure waits for rows that are appended but not yet committed. */
    static volatile BigQueryDelivery delivery;

    private FakeBigQueryRest rest;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBigQueryWrite().start();
        rest = new FakeBigQueryRest().start();
        failedBeforeCommit.set(false);
        failedAfterCommit.set(false);
        uncommittedAtFailure.set(0);
    }

    @AfterEach
    void stop() throws Exception {
        fake.close();
        rest.close();
    }

    @Test
    void exactlyOnceCommitsEachOf200RowsOnce() throws Exception {
        run(BigQueryDelivery.EXACTLY_ONCE, false);
        assertExactly200RightRows();
    }

    @Test
    void atLeastOnceWritesAll200Rows() throws Exception {
        run(BigQueryDelivery.AT_LEAST_ONCE, false);
        assertExactly200RightRows();
    }

    @Test
    void exactlyOnceNeitherLosesNorDuplicatesAcrossFailuresBeforeAndAfterCommit() throws Exception {
        run(BigQueryDelivery.EXACTLY_ONCE, true);
        assertThat(failedBeforeCommit).isTrue();
        assertThat(failedAfterCommit).isTrue();
        assertThat(uncommittedAtFailure.get()).as("rows in flight when the first failure hit").isGreaterThanOrEqualTo(5);
        assertExactly200RightRows();
        assertThat(fake.uncommittedRows()).as("rows of aborted attempts stay invisible").isPositive();
    }

    @Test
    void atLeastOnceLosesNoRowAcrossFailures() throws Exception {
        run(BigQueryDelivery.AT_LEAST_ONCE, true);
        assertThat(failedBeforeCommit).isTrue();
        assertThat(failedAfterCommit).isTrue();
        List<DynamicMessage> rows = fake.committedRows(TABLE);
        assertThat(rows.size()).isGreaterThanOrEqualTo(ROWS);
        assertThat(rows.stream().map(r -> field(r, "name")).distinct().count()).isEqualTo(ROWS);
    }

    /**
     * Rejected rows of a job that keeps running become visible dead-letter files after the next
     * checkpoint, also where (as on gs://) a file exists only once it is closed.
     */
    @Test
    void rejectedRowsBecomeVisibleDeadLettersAfterTheNextCheckpointWhileTheJobRuns(@TempDir Path deadLetters)
            throws Exception {
        fake.rejectRows(row -> Set.of("img-3.jpg", "img-90.jpg").contains((String) field(row, "name")));
        BigQueryConfig config = BigQueryConfig.parseTable("proj.ds.predictions", BigQueryDelivery.EXACTLY_ONCE,
                rest.endpoint(), fake.endpoint());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.enableCheckpointing(200);
        DataGeneratorSource<Prediction> endless = new DataGeneratorSource<>(
                (GeneratorFunction<Long, Prediction>) TestPredictions::prediction, Long.MAX_VALUE,
                RateLimiterStrategy.perSecond(50), TypeInformation.of(Prediction.class));
        env.fromSource(endless, WatermarkStrategy.noWatermarks(), "predictions")
                .sinkTo(BigQuerySink.builder(config).deadLetterDir(ObjectStoreFileSystem.uri(deadLetters))
                        .options(BigQueryWriteOptions.defaults().withMaxBatchRows(10)).build());
        JobClient job = env.executeAsync("bigquery-rejected-rows");
        try {
            for (String name : List.of("img-3.jpg", "img-90.jpg")) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (JsonRows.read(deadLetters).stream().noneMatch(r -> r.get("name").asText().equals(name))) {
                    assertThat(System.nanoTime()).as("%s visible within 60 s", name).isLessThan(deadline);
                    Thread.sleep(50);
                }
                assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
            }
            assertThat(JsonRows.read(deadLetters)).allSatisfy(r -> {
                assertThat(r.get("reason").asText()).isEqualTo("row_rejected");
                assertThat(r.get("message").asText()).contains("proj.ds.predictions");
            });
        } finally {
            job.cancel().get();
        }
    }

    private void run(BigQueryDelivery delivery, boolean injectFailures) throws Exception {
        BigQuerySinkITCase.delivery = delivery;
        BigQueryConfig config = BigQueryConfig.parseTable("proj.ds.predictions", delivery, rest.endpoint(), fake.endpoint());
        try (GoogleBigQueryServices services = new GoogleBigQueryServices(config)) {
            BigQueryTableSetup.ensureTable(services, config);
        }
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(200);

        DataGeneratorSource<Prediction> source = new DataGeneratorSource<>(
                (GeneratorFunction<Long, Prediction>) TestPredictions::prediction, ROWS,
                RateLimiterStrategy.perSecond(100), TypeInformation.of(Prediction.class));
        DataStream<Prediction> predictions = env.fromSource(source, WatermarkStrategy.noWatermarks(), "predictions");
        if (injectFailures) {
            predictions = predictions.map(new FailureInjector()).name("failure-injector");
        }
        predictions.sinkTo(BigQuerySink.builder(config)
                .rejectedRows(subtask -> new CollectingRejectedRows())
                .options(BigQueryWriteOptions.defaults().withMaxBatchRows(10)
                        .withBackoff(5, Duration.ofMillis(50), Duration.ofMillis(500)))
                .build());
        env.execute("bigquery-sink-it-" + delivery);
    }

    private void assertExactly200RightRows() {
        List<DynamicMessage> rows = fake.committedRows(TABLE);
        assertThat(rows).hasSize(ROWS);
        Map<String, DynamicMessage> byName = rows.stream()
                .collect(Collectors.toMap(r -> (String) field(r, "name"), Function.identity()));
        assertThat(byName).hasSize(ROWS);
        for (long i = 0; i < ROWS; i++) {
            Prediction want = TestPredictions.prediction(i);
            DynamicMessage row = byName.get(want.name());
            assertThat(row).as("row %s", want.name()).isNotNull();
            assertThat(field(row, "label")).isEqualTo(want.label());
            assertThat(field(row, "size")).isEqualTo(want.size());
            assertThat(field(row, "score")).isEqualTo(want.score());
            assertThat(field(row, "event_time")).isEqualTo(want.eventTimeMillis() * 1000);
            assertThat(field(row, "label_index")).isEqualTo((long) want.labelIndex());
            assertThat((List<?>) field(row, "top_k")).hasSize(2);
        }
    }

    private static Object field(DynamicMessage row, String name) {
        return row.getField(row.getDescriptorForType().findFieldByName(name));
    }

    /**
     * Fails once between append and commit, and once after a commit. Exactly-once: in the snapshot
     * of a checkpoint whose rows (at least 5 of this subtask's) the writer has just appended to its
     * PENDING stream before the barrier; that checkpoint never completes, so those rows are never
     * committed. At-least-once: rows on {@code _default} are committed as they land, so the moment
     * that matters is "some written", seen in {@code map}.
     */
    static final class FailureInjector implements MapFunction<Prediction, Prediction>, CheckpointedFunction {
        private transient int sinceLastCheckpoint;

        @Override
        public Prediction map(Prediction p) {
            sinceLastCheckpoint++;
            FakeBigQueryWrite f = fake;
            if (delivery == BigQueryDelivery.AT_LEAST_ONCE && f.committedRows(TABLE).size() >= 20
                    && failedBeforeCommit.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after some rows were written");
            }
            if (failedBeforeCommit.get() && f.committedRows(TABLE).size() >= 100
                    && failedAfterCommit.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after commit");
            }
            return p;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            // The sink writer, chained after this function, flushed its rows in
            // prepareSnapshotPreBarrier, which runs before any operator's snapshot.
            if (delivery == BigQueryDelivery.EXACTLY_ONCE && sinceLastCheckpoint >= 5
                    && failedBeforeCommit.compareAndSet(false, true)) {
                uncommittedAtFailure.set(fake.uncommittedRows());
                throw new IllegalStateException("injected failure between append and commit: checkpoint "
                        + context.getCheckpointId() + " fails after its rows were appended");
            }
            sinceLastCheckpoint = 0;
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}
    }

    /** Rejected rows: none expected here. */
    static final class CollectingRejectedRows implements io.imageclassifier.sink.bigquery.writer.RejectedRowHandler {
        @Override
        public void reject(io.imageclassifier.record.DeadLetter deadLetter) {
            throw new AssertionError("unexpected rejected row " + deadLetter);
        }

        @Override
        public void publish() {}

        @Override
        public void close() {}
    }
}
