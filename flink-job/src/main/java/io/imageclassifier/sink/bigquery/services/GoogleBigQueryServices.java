package io.imageclassifier.sink.bigquery.services;

import com.google.api.core.ApiFuture;
import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.auth.ServiceAccountSigner;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.Table;
import com.google.cloud.bigquery.TableDefinition;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import com.google.cloud.bigquery.storage.v1.AppendRowsResponse;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsRequest;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsResponse;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteClient;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteSettings;
import com.google.cloud.bigquery.storage.v1.CreateWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.ProtoRows;
import com.google.cloud.bigquery.storage.v1.ProtoSchema;
import com.google.cloud.bigquery.storage.v1.StreamWriter;
import com.google.cloud.bigquery.storage.v1.WriteStream;
import io.imageclassifier.config.BigQueryConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@link BigQueryServices} over the Google clients: google-cloud-bigquery (REST) for the table,
 * google-cloud-bigquerystorage (gRPC) for streams. With emulator endpoints set, both use plaintext
 * and no credentials. The Storage Write connection pool stays off: it is a JVM-wide static cache
 * keyed by location and credentials, which would share dead connections across endpoints and jobs.
 * Clients are created lazily and owned by this instance only.
 *
 * <p>FinalizeWriteStream and BatchCommitWriteStreams are made without the client's own retries
 * (by default it retries UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED silently for up to
 * 10 minutes): the committer retries them itself, with a bounded, logged backoff.
 */
public final class GoogleBigQueryServices implements BigQueryServices {

    /** Deadline of one FinalizeWriteStream or BatchCommitWriteStreams call. */
    static final Duration COMMIT_CALL_TIMEOUT = Duration.ofSeconds(60);

    private final BigQueryConfig config;
    private BigQuery bigQuery;
    private BigQueryWriteClient writeClient;

    public GoogleBigQueryServices(BigQueryConfig config) {
        this.config = config;
    }

    @Override
    public Optional<Schema> tableSchema(String project, String dataset, String table) {
        Table t = rest().getTable(TableId.of(project, dataset, table));
        if (t == null) {
            return Optional.empty();
        }
        TableDefinition def = t.getDefinition();
        return Optional.ofNullable(def.getSchema());
    }

    @Override
    public void createTable(TableInfo table) {
        rest().create(table);
    }

    @Override
    public String createPendingStream(String tablePath) {
        WriteStream stream = write().createWriteStream(CreateWriteStreamRequest.newBuilder()
                .setParent(tablePath)
                .setWriteStream(WriteStream.newBuilder().setType(WriteStream.Type.PENDING))
                .build());
        return stream.getName();
    }

    @Override
    public AppendConnection openAppendConnection(String streamName, ProtoSchema writerSchema) throws IOException {
        StreamWriter.Builder builder = StreamWriter.newBuilder(streamName, write())
                .setWriterSchema(writerSchema)
                .setEnableConnectionPool(false);
        if (writeEndpoint() != null) {
            builder.setEndpoint(writeEndpoint())
                    .setChannelProvider(plaintextChannel())
                    .setCredentialsProvider(NoCredentialsProvider.create());
        }
        StreamWriter writer = builder.build();
        return new AppendConnection() {
            @Override
            public ApiFuture<AppendRowsResponse> append(ProtoRows rows, long offset) {
                return writer.append(rows, offset);
            }

            @Override
            public void close() {
                writer.close();
            }
        };
    }

    @Override
    public long finalizeStream(String streamName) {
        return write().finalizeWriteStream(streamName).getRowCount();
    }

    @Override
    public BatchCommitWriteStreamsResponse batchCommit(String tablePath, List<String> streamNames) {
        return write().batchCommitWriteStreams(BatchCommitWriteStreamsRequest.newBuilder()
                .setParent(tablePath)
                .addAllWriteStreams(streamNames)
                .build());
    }

    @Override
    public void updateSchema(String project, String dataset, String table, Schema schema) {
        rest().update(TableInfo.of(TableId.of(project, dataset, table), StandardTableDefinition.of(schema)));
    }

    @Override
    public Optional<String> principal() {
        if (config.emulator()) {
            return Optional.empty();
        }
        try {
            return GoogleCredentials.getApplicationDefault() instanceof ServiceAccountSigner signer
                    ? Optional.ofNullable(signer.getAccount()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // only used to word an error message: unknown is fine
        }
    }

    @Override
    public void close() {
        if (writeClient != null) {
            writeClient.close();
            writeClient = null;
        }
        bigQuery = null;
    }

    private BigQuery rest() {
        if (bigQuery == null) {
            BigQueryOptions.Builder options = BigQueryOptions.newBuilder().setProjectId(config.projectId());
            if (present(config.restEndpoint())) {
                options.setHost(config.restEndpoint()).setCredentials(NoCredentials.getInstance());
            }
            bigQuery = options.build().getService();
        }
        return bigQuery;
    }

    private BigQueryWriteClient write() {
        if (writeClient == null) {
            try {
                BigQueryWriteSettings.Builder settings = BigQueryWriteSettings.newBuilder();
                settings.finalizeWriteStreamSettings().setSimpleTimeoutNoRetriesDuration(COMMIT_CALL_TIMEOUT);
                settings.batchCommitWriteStreamsSettings().setSimpleTimeoutNoRetriesDuration(COMMIT_CALL_TIMEOUT);
                if (writeEndpoint() != null) {
                    settings.setEndpoint(writeEndpoint())
                            .setTransportChannelProvider(plaintextChannel())
                            .setCredentialsProvider(noCredentials());
                }
                writeClient = BigQueryWriteClient.create(settings.build());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the BigQuery Storage Write client for "
                        + config.tablePath(), e);
            }
        }
        return writeClient;
    }

    private String writeEndpoint() {
        return present(config.writeEndpoint()) ? config.writeEndpoint() : null;
    }

    private TransportChannelProvider plaintextChannel() {
        return InstantiatingGrpcChannelProvider.newBuilder()
                .setEndpoint(writeEndpoint())
                .setChannelConfigurator(b -> b.usePlaintext())
                .build();
    }

    private static CredentialsProvider noCredentials() {
        return NoCredentialsProvider.create();
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }
}
