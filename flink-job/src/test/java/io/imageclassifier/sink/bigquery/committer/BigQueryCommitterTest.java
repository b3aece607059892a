package io.imageclassifier.sink.bigquery.committer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.bigquery.storage.v1.StorageError;
import io.grpc.Status;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.config.BigQueryDelivery;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.sink.bigquery.BigQueryWriteOptions;
import io.imageclassifier.sink.bigquery.TestPredictions;
import io.imageclassifier.sink.bigquery.fake.CommitFaults;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryWrite;
import io.imageclassifier.sink.bigquery.services.GoogleBigQueryServices;
import io.imageclassifier.sink.bigquery.writer.BigQueryWriter;
import io.imageclassifier.sink.bigquery.writer.RejectedRowHandler;
import io.imageclassifier.sink.bigquery.writer.SinkMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The committer with the real Storage Write client against the gRPC fake, one test per branch of its
 * error sorting: a request is settled only when its commit is proven (a commit time, or
 * STREAM_ALREADY_COMMITTED); transient errors are retried with growing backoff within a budget;
 * everything else throws, naming table, stream and error, and leaves the request unsettled so the
 * restart commits it from the checkpoint. It never signals "failed" (which would drop the rows) or
 * "retry later".
 */
class BigQueryCommitterTest {

    private static final String TABLE = "projects/proj/datasets/ds/tables/t";
    private static final Duration INITIAL_BACKOFF = Duration.ofMillis(100);

    private FakeBigQueryWrite fake;
    private CommitFaults faults;
    private BigQueryConfig config;
    private final SimpleCounter rowsCommitted = new SimpleCounter();

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBigQueryWrite().start();
        faults = fake.commitFaults();
        config = BigQueryConfig.parseTable("proj.ds.t", BigQueryDelivery.EXACTLY_ONCE, null, fake.endpoint());
    }

    @AfterEach
    void stop() throws Exception {
        fake.close();
    }

    @Test
    void commitsAllStreamsOfACheckpointAtomicallyAndCountsTheirRows() throws Exception {
        RecordingCommitRequest a = request(appended(0, 12));
        RecordingCommitRequest b = request(appended(100, 7));

        commit(options(), a, b);

        assertThat(fake.committedRows(TABLE)).hasSize(19);
        assertThat(a.signals()).as("no signal: Flink marks the request committed").isEmpty();
        assertThat(b.signals()).isEmpty();
        assertThat(rowsCommitted.getCount()).isEqualTo(19);
        assertThat(faults.commitCallNanos()).as("one atomic BatchCommitWriteStreams").hasSize(1);
    }

    @Test
    void transientFinalizeAndCommitErrorsAreRetriedWithGrowingBackoff() throws Exception {
        RecordingCommitRequest r = request(appended(0, 10));
        faults.failFinalize(2, Status.Code.UNAVAILABLE);

        commit(options(), r);
        List<Long> finalizes = faults.finalizeCallNanos();
        faults.failCommit(2, Status.Code.DEADLINE_EXCEEDED);
        RecordingCommitRequest next = request(appended(100, 5));
        commit(options(), next);

        assertThat(fake.committedRows(TABLE)).hasSize(15);
        assertThat(r.signals()).isEmpty();
        assertThat(next.signals()).isEmpty();
        assertThat(finalizes).hasSize(3);
        assertThat(gapMillis(finalizes, 0)).as("first retry after the initial backoff").isGreaterThanOrEqualTo(100);
        assertThat(gapMillis(finalizes, 1)).as("second retry after twice that").isGreaterThanOrEqualTo(200);
        List<Long> commits = faults.commitCallNanos();
        assertThat(commits).hasSize(4);
        assertThat(gapMillis(commits, 1)).isGreaterThanOrEqualTo(100);
        assertThat(gapMillis(commits, 2)).isGreaterThanOrEqualTo(200);
    }

    @Test
    void transientErrorsOutlastingTheRetryBudgetFailTheJobNamingTableStreamAndError() throws Exception {
        BigQueryCommittable c = appended(0, 10);
        RecordingCommitRequest r = request(c);
        faults.failFinalizeFor(Duration.ofMinutes(5), Status.Code.UNAVAILABLE);

        assertThatThrownBy(() -> commit(options().withCommitRetryTimeout(Duration.ofSeconds(1)), r))
                .isInstanceOf(BigQueryCommitException.class)
                .hasMessageContaining("proj.ds.t")
                .hasMessageContaining(c.streamName())
                .hasMessageContaining("UNAVAILABLE")
                .hasMessageContaining("attempts")
                .hasMessageContaining("restarts from its last checkpoint");
        // 100 + 200 + 400 ms fit in the 1 s budget, the next 400 ms does not: 4 attempts, not a busy loop.
        assertThat(faults.finalizeCallNanos()).hasSize(4);
        assertThat(r.signals()).as("left unsettled: restored and committed after the restart").isEmpty();
        assertThat(fake.committedRows(TABLE)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = {"UNAVAILABLE", "DEADLINE_EXCEEDED"})
    void commitWhoseReplyWasLostIsRecognisedAsCommittedOnRetry(Status.Code lostAs) throws Exception {
        RecordingCommitRequest r = request(appended(0, 10));
        faults.loseReplies(1, lostAs, Duration.ZERO);

        commit(options(), r);

        assertThat(faults.lostReplies()).isEqualTo(1);
        assertThat(r.signals()).containsExactly("alreadyCommitted");
        assertThat(fake.committedRows(TABLE)).as("committed once").hasSize(10);
    }

    @Test
    void aRestoredCommittableThatWasAlreadyCommittedIsSettledWithoutDuplicates() throws Exception {
        BigQueryCommittable c = appended(0, 10);
        commit(options(), request(c));

        RecordingCommitRequest restored = request(c);
        commit(options(), restored);

        assertThat(restored.signals()).containsExactly("alreadyCommitted");
        assertThat(fake.committedRows(TABLE)).hasSize(10);
        assertThat(rowsCommitted.getCount()).isEqualTo(10);
    }

    @Test
    void streamsNotYetCommittedAreCommittedWhenAnotherOfTheBatchWasAlready() throws Exception {
        BigQueryCommittable first = appended(0, 10);
        commit(options(), request(first));

        RecordingCommitRequest again = request(first);
        RecordingCommitRequest fresh = request(appended(100, 6));
        commit(options(), again, fresh);

        assertThat(again.signals()).containsExactly("alreadyCommitted");
        assertThat(fresh.signals()).isEmpty();
        assertThat(fake.committedRows(TABLE)).hasSize(16);
    }

    @Test
    void permissionDeniedAtCommitFailsTheJobNamingTableStreamErrorAndTheFix() throws Exception {
        BigQueryCommittable c = appended(0, 10);
        RecordingCommitRequest r = request(c);
        faults.failCommit(1, Status.Code.PERMISSION_DENIED);

        assertThatThrownBy(() -> commit(options(), r))
                .isInstanceOf(BigQueryCommitException.class)
                .hasMessageContaining("proj.ds.t")
                .hasMessageContaining(c.streamName())
                .hasMessageContaining("PERMISSION_DENIED")
                .hasMessageContaining("grant roles/bigquery.dataEditor on table proj.ds.t");
        assertThat(faults.commitCallNanos()).as("not retried: retrying cannot fix it").hasSize(1);
        assertThat(r.signals()).isEmpty();
        assertThat(fake.committedRows(TABLE)).isEmpty();
    }

    @Test
    void missingTableAtFinalizeFailsTheJobWithoutCommittingAnything() throws Exception {
        BigQueryCommittable c = appended(0, 10);
        RecordingCommitRequest r = request(c);
        faults.failFinalize(1, Status.Code.NOT_FOUND);

        assertThatThrownBy(() -> commit(options(), r))
                .isInstanceOf(BigQueryCommitException.class)
                .hasMessageContaining("proj.ds.t")
                .hasMessageContaining(c.streamName())
                .hasMessageContaining("NOT_FOUND")
                .hasMessageContaining("make sure table proj.ds.t exists");
        assertThat(faults.finalizeCallNanos()).hasSize(1);
        assertThat(faults.commitCallNanos()).isEmpty();
        assertThat(r.signals()).isEmpty();
    }

    @Test
    void aStreamHoldingFewerRowsThanAppendedIsNeverCommitted() throws Exception {
        BigQueryCommittable real = appended(0, 10);
        BigQueryCommittable claimsMore = new BigQueryCommittable(real.tablePath(), real.streamName(), 11);
        RecordingCommitRequest r = request(claimsMore);

        assertThatThrownBy(() -> commit(options(), r))
                .isInstanceOf(BigQueryCommitException.class)
                .hasMessageContaining("proj.ds.t")
                .hasMessageContaining(real.streamName())
                .hasMessageContaining("holds 10 rows, the writer appended 11");
        assertThat(faults.commitCallNanos()).isEmpty();
        assertThat(r.signals()).isEmpty();
        assertThat(fake.committedRows(TABLE)).isEmpty();
    }

    @Test
    void aCommitReplyWithNeitherCommitTimeNorErrorsFailsTheJob() throws Exception {
        BigQueryCommittable c = appended(0, 10);
        RecordingCommitRequest r = request(c);
        faults.emptyReplies(1);

        assertThatThrownBy(() -> commit(options(), r))
                .isInstanceOf(BigQueryCommitException.class)
                .hasMessageContaining("proj.ds.t")
                .hasMessageContaining(c.streamName())
                .hasMessageContaining("neither a commit time nor stream errors");
        assertThat(r.signals()).isEmpty();
    }

    @Test
    void streamErrorsOtherThanAlreadyCommittedFailTheJob() throws Exception {
        BigQueryCommittable c = appended(0, 10);
        RecordingCommitRequest r = request(c);
        faults.streamErrors(1, StorageError.StorageErrorCode.INVALID_STREAM_STATE);

        assertThatThrownBy(() -> commit(options(), r))
                .isInstanceOf(BigQueryCommitException.class)
                .hasMessageContaining("proj.ds.t")
                .hasMessageContaining(c.streamName())
                .hasMessageContaining("INVALID_STREAM_STATE");
        assertThat(r.signals()).isEmpty();
        assertThat(fake.committedRows(TABLE)).isEmpty();
    }

    // ---- helpers

    private static BigQueryWriteOptions options() {
        return BigQueryWriteOptions.defaults().withBackoff(5, INITIAL_BACKOFF, Duration.ofMillis(400))
                .withCommitRetryTimeout(Duration.ofSeconds(30));
    }

    private void commit(BigQueryWriteOptions options, RecordingCommitRequest... requests) throws Exception {
        try (BigQueryCommitter committer = new BigQueryCommitter(new GoogleBigQueryServices(config), options,
                rowsCommitted)) {
            Collection<Committer.CommitRequest<BigQueryCommittable>> all = new ArrayList<>(List.of(requests));
            committer.commit(all);
        }
    }

    private static RecordingCommitRequest request(BigQueryCommittable c) {
        return new RecordingCommitRequest(c);
    }

    /** A PENDING stream holding {@code rows} predictions from index {@code from}, appended by the real writer. */
    private BigQueryCommittable appended(int from, int rows) throws Exception {
        RejectedRowHandler noRejections = new RejectedRowHandler() {
            @Override
            public void reject(DeadLetter d) {
                throw new AssertionError("unexpected rejection " + d);
            }

            @Override
            public void publish() {}

            @Override
            public void close() {}
        };
        try (BigQueryWriter writer = new BigQueryWriter(config, options(), new GoogleBigQueryServices(config),
                noRejections, new SinkMetrics(UnregisteredMetricsGroup.createSinkWriterMetricGroup()))) {
            for (int i = from; i < from + rows; i++) {
                writer.write(TestPredictions.prediction(i), null);
            }
            writer.flush(false);
            Collection<BigQueryCommittable> committables = writer.prepareCommit();
            assertThat(committables).hasSize(1);
            return committables.iterator().next();
        }
    }

    private static long gapMillis(List<Long> nanos, int i) {
        return (nanos.get(i + 1) - nanos.get(i)) / 1_000_000;
    }
}
