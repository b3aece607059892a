package io.imageclassifier.sink.bigquery.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DynamicMessage;
import io.grpc.Status;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.config.BigQueryDelivery;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.sink.bigquery.BigQueryWriteOptions;
import io.imageclassifier.sink.bigquery.TestPredictions;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommittable;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryWrite;
import io.imageclassifier.sink.bigquery.services.GoogleBigQueryServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The writer with the real Storage Write client against the gRPC fake, with injected faults. */
class BigQueryWriterTest {

    private static final String TABLE = "projects/proj/datasets/ds/tables/t";

    private FakeBigQueryWrite fake;
    private final List<DeadLetter> deadLetters = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBigQueryWrite().start();
    }

    @AfterEach
    void stop() throws Exception {
        fake.close();
    }

    @Test
    void retriedAppendWhoseAnswerWasLostIsRecognisedByOffsetNotDuplicated() throws Exception {
        fake.dropResponsesAfterPersist(1);
        BigQueryCommittable c = writeAndPrepare(BigQueryDelivery.EXACTLY_ONCE, 30);

        assertThat(c.rowCount()).isEqualTo(30);
        assertThat(fake.alreadyExistsAnswers()).isPositive();
        assertThat(fake.uncommittedRows()).isEqualTo(30);
    }

    @Test
    void offsetAlreadyExistsWithoutStorageErrorDetailIsAlsoRecognised() throws Exception {
        fake.plainErrors(true);
        fake.dropResponsesAfterPersist(1);
        BigQueryCommittable c = writeAndPrepare(BigQueryDelivery.EXACTLY_ONCE, 30);

        assertThat(c.rowCount()).isEqualTo(30);
        assertThat(fake.uncommittedRows()).isEqualTo(30);
    }

    @Test
    void transientErrorsAreRetriedWithBackoffWithoutLosingRows() throws Exception {
        fake.failAppends(3, Status.Code.UNAVAILABLE);
        BigQueryCommittable c = writeAndPrepare(BigQueryDelivery.EXACTLY_ONCE, 30);

        assertThat(c.rowCount()).isEqualTo(30);
        assertThat(fake.uncommittedRows()).isEqualTo(30);
    }

    @Test
    void rejectedRowsGoToDeadLettersAndTheRestIsWritten() throws Exception {
        fake.rejectRows(row -> "img-7.jpg".equals(field(row, "name")) || "img-21.jpg".equals(field(row, "name")));
        BigQueryCommittable c = writeAndPrepare(BigQueryDelivery.EXACTLY_ONCE, 30);

        assertThat(c.rowCount()).isEqualTo(28);
        assertThat(deadLetters).extracting(DeadLetter::name).containsExactlyInAnyOrder("img-7.jpg", "img-21.jpg");
        assertThat(deadLetters).allSatisfy(d -> {
            assertThat(d.reason()).isEqualTo("row_rejected");
            assertThat(d.stage()).isEqualTo("sink");
            assertThat(d.message()).contains("proj.ds.t");
        });
    }

    @Test
    void permissionErrorsFailLoudlyNamingTheTable() {
        fake.failAppends(100, Status.Code.PERMISSION_DENIED);
        assertThatThrownBy(() -> writeAndPrepare(BigQueryDelivery.EXACTLY_ONCE, 5))
                .hasMessageContaining("proj.ds.t").hasMessageContaining("PERMISSION_DENIED");
    }

    @Test
    void atLeastOnceWritesToTheDefaultStreamAndEmitsNoCommittable() throws Exception {
        BigQueryWriter writer = writer(BigQueryDelivery.AT_LEAST_ONCE);
        for (int i = 0; i < 25; i++) {
            writer.write(TestPredictions.prediction(i), null);
        }
        writer.flush(false);
        assertThat(writer.prepareCommit()).isEmpty();
        writer.close();
        assertThat(fake.committedRows(TABLE)).hasSize(25);
    }

    private BigQueryCommittable writeAndPrepare(BigQueryDelivery delivery, int rows) throws Exception {
        BigQueryWriter writer = writer(delivery);
        try {
            for (int i = 0; i < rows; i++) {
                writer.write(TestPredictions.prediction(i), null);
            }
            writer.flush(false);
            Collection<BigQueryCommittable> committables = writer.prepareCommit();
            assertThat(committables).hasSize(1);
            return committables.iterator().next();
        } finally {
            writer.close();
        }
    }

    private BigQueryWriter writer(BigQueryDelivery delivery) {
        BigQueryConfig config = BigQueryConfig.parseTable("proj.ds.t", delivery, null, fake.endpoint());
        BigQueryWriteOptions options = BigQueryWriteOptions.defaults().withMaxBatchRows(10)
                .withBackoff(5, Duration.ofMillis(10), Duration.ofMillis(50));
        RejectedRowHandler rejected = new RejectedRowHandler() {
            @Override
            public void reject(DeadLetter d) {
                deadLetters.add(d);
            }

            @Override
            public void publish() {}

            @Override
            public void close() {}
        };
        return new BigQueryWriter(config, options, new GoogleBigQueryServices(config), rejected,
                new SinkMetrics(UnregisteredMetricsGroup.createSinkWriterMetricGroup()));
    }

    private static Object field(DynamicMessage row, String name) {
        return row.getField(row.getDescriptorForType().findFieldByName(name));
    }
}
