package io.imageclassifier.sink.bigquery.writer;

import com.google.api.core.ApiFuture;
import com.google.cloud.bigquery.storage.v1.AppendRowsResponse;
import com.google.cloud.bigquery.storage.v1.ProtoSchema;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.bigquery.BigQueryWriteOptions;
import io.imageclassifier.sink.bigquery.services.BigQueryErrors;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Appends batches to one write stream, pipelined up to {@code maxInFlight} requests, and settles
 * their results on the task thread.
 *
 * <p>With explicit offsets (PENDING streams) every batch is sent at the offset it must land at.
 * When a request fails, all requests in flight are settled, the connection is reopened and every
 * batch that did not land is re-sent in order at its offset, with exponential backoff between
 * attempts: a re-send that finds its offset already written ({@code OFFSET_ALREADY_EXISTS}: the
 * first attempt had landed, only its answer was lost) counts as written, so a retry never
 * duplicates rows. Rows BigQuery rejects (row errors; the request then writes nothing) go to the
 * {@link RejectedRowHandler} and the rest of the batch is re-sent at the same offset. Errors that
 * retrying cannot fix (quota, permission, missing table, offset gaps) fail with the table's name.
 *
 * <p>Without offsets (the {@code _default} stream) the same loop runs, but a re-send may
 * duplicate rows whose answer was lost: at-least-once.
 */
final class StreamAppender implements AutoCloseable {

    private final BigQueryServices services;
    private final String streamName;
    private final String tableName;
    private final ProtoSchema writerSchema;
    private final boolean explicitOffsets;
    private final BigQueryWriteOptions options;
    private final SinkMetrics metrics;
    private final RejectedRowHandler rejected;
    private final Deque<InFlight> inFlight = new ArrayDeque<>();

    private BigQueryServices.AppendConnection connection;
    /** Offset the next new batch is sent at: rows landed plus rows in flight. */
    private long nextOffset;

    StreamAppender(BigQueryServices services, String streamName, String tableName, ProtoSchema writerSchema,
            boolean explicitOffsets, BigQueryWriteOptions options, SinkMetrics metrics, RejectedRowHandler rejected) {
        this.services = services;
        this.streamName = streamName;
        this.tableName = tableName;
        this.writerSchema = writerSchema;
        this.explicitOffsets = explicitOffsets;
        this.options = options;
        this.metrics = metrics;
        this.rejected = rejected;
    }

    String streamName() {
        return streamName;
    }

    /** Rows that landed or are in flight (after {@link #awaitAll()}: rows in the stream). */
    long rowCount() {
        return nextOffset;
    }

    /** Sends a batch; blocks while {@code maxInFlight} requests await their answer. */
    void append(RowBatch batch) throws IOException, InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        inFlight.addLast(send(batch, nextOffset));
        nextOffset += batch.size();
        while (!inFlight.isEmpty() && (inFlight.peekFirst().future.isDone() || inFlight.size() > options.maxInFlight())) {
            settleHead();
        }
    }

    /** Waits until every batch sent so far has landed (or was rejected). */
    void awaitAll() throws IOException, InterruptedException {
        while (!inFlight.isEmpty()) {
            settleHead();
        }
    }

    @Override
    public void close() {
        inFlight.clear();
        closeConnection();
    }

    private void settleHead() throws IOException, InterruptedException {
        InFlight head = inFlight.peekFirst();
        Throwable failure = outcome(head);
        if (failure == null || BigQueryErrors.classify(failure) == BigQueryErrors.Kind.OFFSET_ALREADY_EXISTS) {
            inFlight.removeFirst();
            landed(head, failure != null);
            return;
        }
        recover();
    }

    /** Settles everything in flight, then re-sends whatever did not land, in order. */
    private void recover() throws IOException, InterruptedException {
        long offset = inFlight.peekFirst().offset;
        Deque<InFlight> pending = new ArrayDeque<>(inFlight);
        inFlight.clear();
        for (InFlight f : pending) {
            outcome(f); // wait for every answer before reusing offsets
        }
        closeConnection();
        boolean first = true;
        for (InFlight f : pending) {
            Throwable failure = outcome(f);
            BigQueryErrors.Kind kind = failure == null ? null : BigQueryErrors.classify(failure);
            if (failure == null) {
                landed(f, false);
                offset = (explicitOffsets ? f.offset : offset) + f.batch.size();
            } else if (kind == BigQueryErrors.Kind.OFFSET_ALREADY_EXISTS) {
                landed(f, true);
                offset += f.batch.size();
            } else {
                // Requests behind the first failure usually failed only because of it (offset gap,
                // broken connection): re-send them; keep only their own row errors.
                Throwable own = first || kind == BigQueryErrors.Kind.ROW_ERRORS ? failure : null;
                if (own == null) {
                    metrics.retried.inc(f.batch.size());
                }
                offset += sendUntilLanded(f.batch, offset, own);
                first = false;
            }
        }
        nextOffset = offset;
    }

    /** Re-sends one batch synchronously until it lands; returns the rows that landed. */
    private long sendUntilLanded(RowBatch batch, long offset, Throwable firstFailure)
            throws IOException, InterruptedException {
        Throwable failure = firstFailure;
        int attempt = 1;
        while (true) {
            if (failure != null) {
                switch (BigQueryErrors.classify(failure)) {
                    case ROW_ERRORS -> {
                        batch = reject(batch, BigQueryErrors.rowErrors(failure));
                        if (batch.isEmpty()) {
                            return 0;
                        }
                    }
                    case RETRYABLE -> {
                        if (attempt >= options.maxAttempts()) {
                            throw new IOException("BigQuery append to " + tableName + " failed after " + attempt
                                    + " attempts (stream " + streamName + ")", failure);
                        }
                        metrics.retried.inc(batch.size());
                        closeConnection();
                        Thread.sleep(options.backoff(attempt).toMillis());
                        attempt++;
                    }
                    case OFFSET_ALREADY_EXISTS -> {
                        metrics.alreadyPresent.inc(batch.size());
                        metrics.recordsSend.inc(batch.size());
                        return batch.size();
                    }
                    case FATAL -> throw new IOException("BigQuery append to " + tableName + " failed (stream "
                            + streamName + ", offset " + offset + "): " + failure.getMessage(), failure);
                }
            }
            InFlight retry = send(batch, offset);
            failure = outcome(retry);
            if (failure == null) {
                landed(retry, false);
                return batch.size();
            }
        }
    }

    private RowBatch reject(RowBatch batch, Map<Integer, String> errors) throws IOException {
        for (Map.Entry<Integer, String> e : errors.entrySet()) {
            Prediction p = batch.prediction(e.getKey());
            rejected.reject(new DeadLetter(p.name(), DeadLetterReason.ROW_REJECTED.code(),
                    "BigQuery " + tableName + " rejected the row: " + e.getValue(), p.bucket(), p.generation(),
                    "sink", null, System.currentTimeMillis()));
        }
        metrics.rejected.inc(errors.size());
        metrics.recordsOutErrors.inc(errors.size());
        return batch.without(errors.keySet());
    }

    private InFlight send(RowBatch batch, long offset) throws IOException {
        if (connection == null) {
            connection = services.openAppendConnection(streamName, writerSchema);
        }
        ApiFuture<AppendRowsResponse> future = connection.append(batch.toProtoRows(), explicitOffsets ? offset : -1);
        return new InFlight(batch, offset, future, System.nanoTime());
    }

    private void landed(InFlight f, boolean alreadyPresent) {
        (alreadyPresent ? metrics.alreadyPresent : metrics.appended).inc(f.batch.size());
        metrics.recordsSend.inc(f.batch.size());
        metrics.appendLatency.update((System.nanoTime() - f.startNanos) / 1_000_000);
    }

    /** Waits for the answer; null when it succeeded, else the failure. */
    private static Throwable outcome(InFlight f) throws InterruptedException {
        try {
            AppendRowsResponse response = f.future.get();
            return response.hasError() ? new IOException("append error: " + response.getError()) : null;
        } catch (ExecutionException e) {
            return e.getCause() == null ? e : e.getCause();
        } catch (RuntimeException e) {
            return e;
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (RuntimeException ignored) {
                // a broken connection may fail to close; it is discarded either way
            }
            connection = null;
        }
    }

    private record InFlight(RowBatch batch, long offset, ApiFuture<AppendRowsResponse> future, long startNanos) {}
}
