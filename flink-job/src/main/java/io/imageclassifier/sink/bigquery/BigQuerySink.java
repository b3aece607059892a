package io.imageclassifier.sink.bigquery;

import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommittable;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommittableSerializer;
import io.imageclassifier.sink.bigquery.committer.BigQueryCommitter;
import io.imageclassifier.sink.bigquery.services.BigQueryServicesFactory;
import io.imageclassifier.sink.bigquery.services.GoogleBigQueryServicesFactory;
import io.imageclassifier.sink.bigquery.writer.BigQueryWriter;
import io.imageclassifier.sink.bigquery.writer.JsonLinesRejectedRows;
import io.imageclassifier.sink.bigquery.writer.RejectedRowHandler;
import io.imageclassifier.sink.bigquery.writer.SinkMetrics;
import java.io.IOException;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Writes predictions to a BigQuery table through the Storage Write API: exactly-once with PENDING
 * streams committed by a {@link BigQueryCommitter} when a checkpoint completes, or at-least-once
 * through the {@code _default} stream (see {@link BigQueryWriter}). Rows BigQuery rejects go to a
 * {@link RejectedRowHandler}. Create the table first with {@link BigQueryTableSetup} (or use
 * {@link BigQueryOutput#attach}, which does both).
 */
public final class BigQuerySink implements Sink<Prediction>, SupportsCommitter<BigQueryCommittable> {

    private static final long serialVersionUID = 1L;

    private final BigQueryConfig config;
    private final BigQueryServicesFactory services;
    private final RejectedRowHandler.Factory rejectedRows;
    private final BigQueryWriteOptions options;

    private BigQuerySink(BigQueryConfig config, BigQueryServicesFactory services,
            RejectedRowHandler.Factory rejectedRows, BigQueryWriteOptions options) {
        this.config = config;
        this.services = services;
        this.rejectedRows = rejectedRows;
        this.options = options;
    }

    public static Builder builder(BigQueryConfig config) {
        return new Builder(config);
    }

    @Override
    public SinkWriter<Prediction> createWriter(WriterInitContext context) throws IOException {
        int subtask = context.getTaskInfo().getIndexOfThisSubtask();
        return new BigQueryWriter(config, options, services.create(), rejectedRows.open(subtask),
                new SinkMetrics(context.metricGroup()));
    }

    @Override
    public Committer<BigQueryCommittable> createCommitter(CommitterInitContext context) {
        return new BigQueryCommitter(services.create(), options,
                context.metricGroup().addGroup(SinkMetrics.GROUP).counter(BigQueryCommitter.ROWS_COMMITTED));
    }

    @Override
    public SimpleVersionedSerializer<BigQueryCommittable> getCommittableSerializer() {
        return new BigQueryCommittableSerializer();
    }

    /** Builds a {@link BigQuerySink}; {@link #build()} checks every part is set. */
    public static final class Builder {
        private final BigQueryConfig config;
        private BigQueryServicesFactory services;
        private RejectedRowHandler.Factory rejectedRows;
        private BigQueryWriteOptions options = BigQueryWriteOptions.defaults();

        private Builder(BigQueryConfig config) {
            this.config = config;
            this.services = config == null ? null : new GoogleBigQueryServicesFactory(config);
        }

        /** Replaces the Google clients (tests). */
        public Builder services(BigQueryServicesFactory services) {
            this.services = services;
            return this;
        }

        /** Writes rejected rows as dead-letter JSON Lines under {@code dir}. */
        public Builder deadLetterDir(String dir) {
            this.rejectedRows = JsonLinesRejectedRows.inDirectory(Objects.requireNonNull(dir, "dir"));
            return this;
        }

        public Builder rejectedRows(RejectedRowHandler.Factory rejectedRows) {
            this.rejectedRows = rejectedRows;
            return this;
        }

        public Builder options(BigQueryWriteOptions options) {
            this.options = options;
            return this;
        }

        public BigQuerySink build() {
            Objects.requireNonNull(config, "BigQuerySink: config must be set (--output-bq-table)");
            Objects.requireNonNull(services, "BigQuerySink: services must be set");
            Objects.requireNonNull(rejectedRows, "BigQuerySink: rejectedRows (or deadLetterDir) must be set");
            Objects.requireNonNull(options, "BigQuerySink: options must be set");
            return new BigQuerySink(config, services, rejectedRows, options);
        }
    }
}
