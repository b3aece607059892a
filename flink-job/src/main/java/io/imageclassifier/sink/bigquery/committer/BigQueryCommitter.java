package io.imageclassifier.sink.bigquery.committer;

import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsResponse;
import com.google.cloud.bigquery.storage.v1.StorageError;
import io.imageclassifier.sink.bigquery.BigQueryWriteOptions;
import io.imageclassifier.sink.bigquery.services.BigQueryErrors;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.Counter;

/**
 * Makes a checkpoint's PENDING streams visible once the checkpoint completed: finalizes each stream,
 * checks that it holds exactly the rows the writer appended, then commits the table's streams in
 * one atomic BatchCommitWriteStreams.
 *
 * <p>A request is settled only when its commit is proven: a commit time in the answer (Flink then
 * marks it committed), or BigQuery reporting the stream as already committed (after a lost reply,
 * or when a restored checkpoint brings the committable again: {@code signalAlreadyCommitted}).
 * Transient errors are retried with backoff by {@link CommitRetry}. Anything else (permission,
 * missing table or stream, a short stream, a reply proving nothing, a transient error outlasting
 * the budget) throws a {@link BigQueryCommitException} naming table, streams and error: the job
 * fails and restarts from its checkpoint, which still holds the committables, and commits them then.
 *
 * <p>It never uses {@code signalFailedWithKnownReason} (in Flink 2.3 that silently drops the
 * committable) nor {@code retryLater} (Flink retries at once, then fails with no detail), so
 * {@code sink.committer.retries} does not matter.
 *
 * <p>Metric: {@code <committer>.bigquery.rowsCommitted}.
 */
public final class BigQueryCommitter implements Committer<BigQueryCommittable> {

    public static final String ROWS_COMMITTED = "rowsCommitted";

    private final BigQueryServices services;
    private final CommitRetry retry;
    private final Counter rowsCommitted;

    public BigQueryCommitter(BigQueryServices services, BigQueryWriteOptions options, Counter rowsCommitted) {
        this.services = services;
        this.retry = new CommitRetry(options);
        this.rowsCommitted = rowsCommitted;
    }

    @Override
    public void commit(Collection<CommitRequest<BigQueryCommittable>> requests) throws IOException, InterruptedException {
        Map<String, List<CommitRequest<BigQueryCommittable>>> byTable = new LinkedHashMap<>();
        for (CommitRequest<BigQueryCommittable> r : requests) {
            byTable.computeIfAbsent(r.getCommittable().tablePath(), t -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<String, List<CommitRequest<BigQueryCommittable>>> e : byTable.entrySet()) {
            commitTable(e.getKey(), e.getValue());
        }
    }

    private void commitTable(String table, List<CommitRequest<BigQueryCommittable>> requests)
            throws IOException, InterruptedException {
        Map<String, CommitRequest<BigQueryCommittable>> toCommit = new LinkedHashMap<>();
        for (CommitRequest<BigQueryCommittable> r : requests) {
            if (finalizeStream(table, r)) {
                toCommit.put(r.getCommittable().streamName(), r);
            }
        }
        // BatchCommit is all-or-nothing: when the only errors are streams already committed, nothing
        // was committed; settle those and commit the rest again. Each round removes a stream or throws.
        while (!toCommit.isEmpty()) {
            List<String> streams = List.copyOf(toCommit.keySet());
            BatchCommitWriteStreamsResponse response = batchCommit(table, streams);
            if (response.hasCommitTime()) {
                toCommit.values().forEach(r -> rowsCommitted.inc(r.getCommittable().rowCount()));
                return;
            }
            if (response.getStreamErrorsCount() == 0) {
                throw BigQueryCommitException.unproven(table, streams,
                        "BatchCommitWriteStreams answered with neither a commit time nor stream errors");
            }
            List<StorageError> refused = new ArrayList<>();
            for (StorageError error : response.getStreamErrorsList()) {
                CommitRequest<BigQueryCommittable> r = toCommit.get(error.getEntity());
                if (r != null && error.getCode() == StorageError.StorageErrorCode.STREAM_ALREADY_COMMITTED) {
                    r.signalAlreadyCommitted();
                    toCommit.remove(error.getEntity());
                } else {
                    refused.add(error);
                }
            }
            if (!refused.isEmpty()) {
                throw BigQueryCommitException.streamErrors(table, refused);
            }
        }
    }

    /** Finalizes the request's stream; false when BigQuery says it is already committed (then settled). */
    private boolean finalizeStream(String table, CommitRequest<BigQueryCommittable> r)
            throws IOException, InterruptedException {
        BigQueryCommittable c = r.getCommittable();
        long rows;
        try {
            rows = retry.call(table, "finalize", List.of(c.streamName()), () -> services.finalizeStream(c.streamName()));
        } catch (RuntimeException e) {
            if (BigQueryErrors.storageErrorCode(e) == StorageError.StorageErrorCode.STREAM_ALREADY_COMMITTED) {
                r.signalAlreadyCommitted();
                return false;
            }
            throw BigQueryCommitException.refused(table, "finalize", List.of(c.streamName()), e, services.principal());
        }
        if (rows != c.rowCount()) {
            throw BigQueryCommitException.unproven(table, List.of(c.streamName()), "the finalized stream holds " + rows
                    + " rows, the writer appended " + c.rowCount() + " (stream expired or changed before its commit)");
        }
        return true;
    }

    private BatchCommitWriteStreamsResponse batchCommit(String table, List<String> streams)
            throws IOException, InterruptedException {
        try {
            return retry.call(table, "commit", streams, () -> services.batchCommit(table, streams));
        } catch (RuntimeException e) {
            throw BigQueryCommitException.refused(table, "commit", streams, e, services.principal());
        }
    }

    @Override
    public void close() {
        services.close();
    }
}
