package io.imageclassifier.sink.bigquery.committer;

import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsResponse;
import com.google.cloud.bigquery.storage.v1.StorageError;
import io.imageclassifier.sink.bigquery.services.BigQueryErrors;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.Counter;

/**
 * Makes a checkpoint's PENDING streams visible once the checkpoint completed: finalizes each
 * stream, checks its row count against what the writer appended, then commits a table's streams in
 * one atomic BatchCommitWriteStreams. After a restore the same committables may come again: a
 * stream BigQuery reports as already committed is {@code signalAlreadyCommitted}, never re-applied.
 * Transient errors are retried later (up to {@code maxRetries}); a lost or short stream, or
 * permission/quota errors, fail with a known reason naming the table.
 *
 * <p>Metric: {@code <committer>.bigquery.rowsCommitted}.
 */
public final class BigQueryCommitter implements Committer<BigQueryCommittable> {

    public static final String ROWS_COMMITTED = "rowsCommitted";

    private final BigQueryServices services;
    private final int maxRetries;
    private final Counter rowsCommitted;

    public BigQueryCommitter(BigQueryServices services, int maxRetries, Counter rowsCommitted) {
        this.services = services;
        this.maxRetries = maxRetries;
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

    private void commitTable(String table, List<CommitRequest<BigQueryCommittable>> requests) {
        Map<String, CommitRequest<BigQueryCommittable>> finalized = new LinkedHashMap<>();
        for (CommitRequest<BigQueryCommittable> r : requests) {
            if (finalizeStream(table, r)) {
                finalized.put(r.getCommittable().streamName(), r);
            }
        }
        // BatchCommit is all-or-nothing: drop streams reported as already committed and commit the rest again.
        for (int round = 0; round < 2 && !finalized.isEmpty(); round++) {
            BatchCommitWriteStreamsResponse response;
            try {
                response = services.batchCommit(table, List.copyOf(finalized.keySet()));
            } catch (RuntimeException ex) {
                finalized.values().forEach(r -> failOrRetry(table, r, ex));
                return;
            }
            if (response.hasCommitTime()) {
                finalized.values().forEach(r -> rowsCommitted.inc(r.getCommittable().rowCount()));
                return;
            }
            Map<String, StorageError> errors = new HashMap<>();
            response.getStreamErrorsList().forEach(err -> errors.put(err.getEntity(), err));
            for (Map.Entry<String, StorageError> err : errors.entrySet()) {
                CommitRequest<BigQueryCommittable> r = finalized.remove(err.getKey());
                if (r == null) {
                    continue;
                }
                if (err.getValue().getCode() == StorageError.StorageErrorCode.STREAM_ALREADY_COMMITTED) {
                    r.signalAlreadyCommitted();
                } else {
                    r.signalFailedWithKnownReason(new IOException("BigQuery refused to commit stream " + err.getKey()
                            + " to " + table + ": " + err.getValue().getCode() + " " + err.getValue().getErrorMessage()));
                }
            }
            if (errors.isEmpty()) {
                finalized.values().forEach(r -> r.signalFailedWithKnownReason(new IOException(
                        "BigQuery BatchCommitWriteStreams on " + table + " returned neither commit time nor errors")));
                return;
            }
        }
        finalized.values().forEach(CommitRequest::retryLater);
    }

    /** Finalizes the stream; false when the request was already settled (failed, retried or already committed). */
    private boolean finalizeStream(String table, CommitRequest<BigQueryCommittable> r) {
        BigQueryCommittable c = r.getCommittable();
        long rows;
        try {
            rows = services.finalizeStream(c.streamName());
        } catch (RuntimeException ex) {
            if (BigQueryErrors.storageErrorCode(ex) == StorageError.StorageErrorCode.STREAM_ALREADY_COMMITTED) {
                r.signalAlreadyCommitted();
            } else {
                failOrRetry(table, r, ex);
            }
            return false;
        }
        if (rows < c.rowCount()) {
            r.signalFailedWithKnownReason(new IOException("BigQuery stream " + c.streamName() + " of " + table
                    + " holds " + rows + " rows, the writer appended " + c.rowCount()
                    + " (stream expired or lost before its commit)"));
            return false;
        }
        return true;
    }

    private void failOrRetry(String table, CommitRequest<BigQueryCommittable> r, RuntimeException ex) {
        if (BigQueryErrors.classify(ex) == BigQueryErrors.Kind.RETRYABLE && r.getNumberOfRetries() < maxRetries) {
            r.retryLater();
        } else {
            r.signalFailedWithKnownReason(new IOException("BigQuery commit of stream " + r.getCommittable().streamName()
                    + " to " + table + " failed: " + ex.getMessage(), ex));
        }
    }

    @Override
    public void close() {
        services.close();
    }
}
