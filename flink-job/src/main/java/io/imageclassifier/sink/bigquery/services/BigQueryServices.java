package io.imageclassifier.sink.bigquery.services;

import com.google.api.core.ApiFuture;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.TableInfo;
import com.google.cloud.bigquery.storage.v1.AppendRowsResponse;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsResponse;
import com.google.cloud.bigquery.storage.v1.ProtoRows;
import com.google.cloud.bigquery.storage.v1.ProtoSchema;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Every BigQuery call the sink makes, so the writer and committer can be tested against fakes.
 * Instances are created per subtask by a {@link BigQueryServicesFactory} and closed by their owner.
 */
public interface BigQueryServices extends AutoCloseable {

    /** The schema of {@code project.dataset.table}, empty when the table does not exist (REST). */
    Optional<Schema> tableSchema(String project, String dataset, String table);

    /** Creates a table (REST); fails if it exists. */
    void createTable(TableInfo table);

    /** Creates a PENDING write stream on {@code projects/P/datasets/D/tables/T}; returns its name. */
    String createPendingStream(String tablePath);

    /** Opens an append connection to a stream (a PENDING stream's name or {@code <table>/streams/_default}). */
    AppendConnection openAppendConnection(String streamName, ProtoSchema writerSchema) throws IOException;

    /** Finalizes a PENDING stream; returns its row count. */
    long finalizeStream(String streamName);

    /** Atomically commits finalized PENDING streams of one table. */
    BatchCommitWriteStreamsResponse batchCommit(String tablePath, List<String> streamNames);

    /** Replaces the schema of {@code project.dataset.table} (REST {@code tables.patch}); BigQuery allows adding columns. */
    void updateSchema(String project, String dataset, String table, Schema schema);

    /**
     * Who the calls run as (a service account's e-mail) when the credentials tell, for error
     * messages that say whom to grant a role; empty when unknown.
     */
    default Optional<String> principal() {
        return Optional.empty();
    }

    @Override
    void close();

    /** One open AppendRows connection. */
    interface AppendConnection extends AutoCloseable {
        /** Appends rows; {@code offset} {@code < 0} means no offset (the _default stream). */
        ApiFuture<AppendRowsResponse> append(ProtoRows rows, long offset);

        @Override
        void close();
    }
}
