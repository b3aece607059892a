package io.imageclassifier.sink.bigquery.writer;

import com.google.protobuf.ByteString;
import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.config.BigQueryDelivery;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.bigquery.BigQueryWriteOptions;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommittable;
import io.imageclassifier.sink.bigquery.schema.PredictionRowEncoder;
import io.imageclassifier.sink.bigquery.services.BigQueryErrors;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;

/**
 * Writes predictions to BigQuery, one subtask's share.
 *
 * <p>Cycle, exactly-once: the first row after a checkpoint creates a PENDING stream; rows are
 * encoded and batched (up to {@code maxBatchRows} or {@code maxBatchBytes}, under the 10 MB request
 * limit) and appended with explicit offsets; before the checkpoint barrier, {@link #flush} sends the
 * last batch and waits for every answer, then {@link #prepareCommit} hands the stream to the
 * committer, which finalizes and commits it once the checkpoint completes; rows BigQuery rejected
 * in the interval are published as dead-letter files by then. Rows appended to a
 * stream that never reaches a completed checkpoint stay invisible (BigQuery drops uncommitted
 * PENDING streams), and the source replays them into a new stream: no loss, no duplicates.
 *
 * <p>At-least-once: rows go to the table's {@code _default} stream and are visible when appended;
 * {@link #flush} waits for every answer before the checkpoint, so a completed checkpoint never
 * misses rows, but a replay after a failure repeats the rows since that checkpoint.
 *
 * <p>Waiting for answers happens on the task thread: a slow or retrying BigQuery back-pressures the
 * job instead of buffering without bound or dropping rows.
 */
public final class BigQueryWriter implements CommittingSinkWriter<Prediction, BigQueryCommittable> {

    private final BigQueryConfig config;
    private final BigQueryWriteOptions options;
    private final BigQueryServices services;
    private final RejectedRowHandler rejected;
    private final SinkMetrics metrics;
    private final PredictionRowEncoder encoder = new PredictionRowEncoder();

    private RowBatch batch = new RowBatch();
    private StreamAppender appender;

    public BigQueryWriter(BigQueryConfig config, BigQueryWriteOptions options, BigQueryServices services,
            RejectedRowHandler rejected, SinkMetrics metrics) {
        this.config = config;
        this.options = options;
        this.services = services;
        this.rejected = rejected;
        this.metrics = metrics;
    }

    @Override
    public void write(Prediction prediction, Context context) throws IOException, InterruptedException {
        ByteString row = encoder.encode(prediction);
        if (!batch.isEmpty() && (batch.size() >= options.maxBatchRows()
                || batch.bytes() + row.size() > options.maxBatchBytes())) {
            sendBatch();
        }
        batch.add(prediction, row);
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        sendBatch();
        if (appender != null) {
            appender.awaitAll();
        }
        rejected.publish(); // after awaitAll: every rejection of the interval is known
    }

    @Override
    public Collection<BigQueryCommittable> prepareCommit() throws IOException, InterruptedException {
        if (!exactlyOnce() || appender == null) {
            return List.of();
        }
        appender.awaitAll();
        BigQueryCommittable committable = new BigQueryCommittable(config.tablePath(), appender.streamName(),
                appender.rowCount());
        appender.close();
        appender = null;
        return committable.rowCount() == 0 ? List.of() : List.of(committable);
    }

    @Override
    public void close() throws Exception {
        try (BigQueryServices s = services; RejectedRowHandler r = rejected) {
            if (appender != null) {
                appender.close();
            }
        }
    }

    private void sendBatch() throws IOException, InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        RowBatch full = batch;
        batch = new RowBatch();
        appender().append(full);
    }

    private StreamAppender appender() throws IOException, InterruptedException {
        if (appender == null) {
            String stream = exactlyOnce() ? createPendingStream() : config.tablePath() + "/streams/_default";
            appender = new StreamAppender(services, stream, tableName(), encoder.protoSchema(), exactlyOnce(),
                    options, metrics, rejected);
        }
        return appender;
    }

    private String createPendingStream() throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return services.createPendingStream(config.tablePath());
            } catch (RuntimeException e) {
                if (BigQueryErrors.classify(e) != BigQueryErrors.Kind.RETRYABLE || attempt >= options.maxAttempts()) {
                    throw new IOException("cannot create a PENDING write stream on " + tableName() + ": "
                            + e.getMessage(), e);
                }
                Thread.sleep(options.backoff(attempt).toMillis());
            }
        }
    }

    private boolean exactlyOnce() {
        return config.delivery() == BigQueryDelivery.EXACTLY_ONCE;
    }

    private String tableName() {
        return config.projectId() + "." + config.dataset() + "." + config.table();
    }
}
