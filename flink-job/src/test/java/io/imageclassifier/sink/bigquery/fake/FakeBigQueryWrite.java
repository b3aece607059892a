package io.imageclassifier.sink.bigquery.fake;

import com.google.cloud.bigquery.storage.v1.AppendRowsRequest;
import com.google.cloud.bigquery.storage.v1.AppendRowsResponse;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsRequest;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsResponse;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteGrpc;
import com.google.cloud.bigquery.storage.v1.CreateWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.FinalizeWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.FinalizeWriteStreamResponse;
import com.google.cloud.bigquery.storage.v1.FlushRowsRequest;
import com.google.cloud.bigquery.storage.v1.FlushRowsResponse;
import com.google.cloud.bigquery.storage.v1.GetWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.RowError;
import com.google.cloud.bigquery.storage.v1.StorageError;
import com.google.cloud.bigquery.storage.v1.WriteStream;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * A BigQuery Storage Write server for tests, on a loopback plaintext port, with the part of the
 * service the sink uses: CreateWriteStream (PENDING), GetWriteStream, AppendRows
 * with offsets (OFFSET_ALREADY_EXISTS / OFFSET_OUT_OF_RANGE answered with a packed StorageError, as
 * BigQuery does, so the client raises its typed exceptions), the {@code _default} stream,
 * FinalizeWriteStream and atomic BatchCommitWriteStreams (STREAM_ALREADY_COMMITTED on a repeat).
 * Rows are decoded with the writer schema sent on the connection. Faults can be injected: into
 * appends (errors, lost answers, rejected rows), and into FinalizeWriteStream and
 * BatchCommitWriteStreams (an error code for N calls or for a duration, a stream error, a reply with
 * neither commit time nor errors, and a lost reply: the commit is applied, the client gets an error).
 */
public final class FakeBigQueryWrite extends BigQueryWriteGrpc.BigQueryWriteImplBase implements AutoCloseable {

    private final Map<String, Stream> streams = new LinkedHashMap<>();
    private final Map<String, List<DynamicMessage>> tables = new LinkedHashMap<>();
    private Server server;

    private int dropResponsesAfterPersist;
    private int failAppends;
    private Status.Code failCode = Status.Code.UNAVAILABLE;
    private Predicate<DynamicMessage> rejectRow = row -> false;
    private boolean plainErrors;
    private int alreadyExistsAnswers;
    private int alreadyCommittedAnswers;
    private BiConsumer<String, List<DynamicMessage>> committedListener = (table, rows) -> {};

    private final CommitFaults commitFaults = new CommitFaults();
    private final Set<String> committedStreams = new LinkedHashSet<>();
    private ScheduledExecutorService delayedReplies;

    private static final class Stream {
        final String table;
        final List<DynamicMessage> rows = new ArrayList<>();
        final boolean isDefault;
        boolean finalized;
        boolean committed;

        Stream(String table, boolean isDefault) {
            this.table = table;
            this.isDefault = isDefault;
        }
    }

    /** Starts on 127.0.0.1 and a free port. */
    public FakeBigQueryWrite start() throws IOException {
        return start(0);
    }

    /** Starts on 127.0.0.1 and {@code port} (0: a free one). */
    public FakeBigQueryWrite start(int port) throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)).addService(this).build().start();
        delayedReplies = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fake-bigquery-delayed-replies");
            t.setDaemon(true);
            return t;
        });
        return this;
    }

    /** {@code 127.0.0.1:PORT}, for {@code --bigquery-write-endpoint}. */
    public String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        delayedReplies.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    // ---- test controls and views

    /** The next {@code n} appends are persisted, then the connection fails with UNAVAILABLE (answer lost). */
    public synchronized void dropResponsesAfterPersist(int n) {
        dropResponsesAfterPersist = n;
    }

    /** The next {@code n} appends fail with {@code code} without persisting. */
    public synchronized void failAppends(int n, Status.Code code) {
        failAppends = n;
        failCode = code;
    }

    /** Rows matching {@code reject} are refused with row errors (their whole request writes nothing). */
    public synchronized void rejectRows(Predicate<DynamicMessage> reject) {
        rejectRow = reject;
    }

    /** Answer offset errors without the StorageError detail, like the Python emulators do. */
    public synchronized void plainErrors(boolean plain) {
        plainErrors = plain;
    }

    /** Called (under the fake's lock) with the rows each commit makes visible, in commit order. */
    public synchronized void onCommitted(BiConsumer<String, List<DynamicMessage>> listener) {
        committedListener = listener;
    }

    /** Faults of FinalizeWriteStream and BatchCommitWriteStreams, and what those calls saw. */
    public CommitFaults commitFaults() {
        return commitFaults;
    }

    /** Streams committed so far. */
    public synchronized Set<String> committedStreams() {
        return Set.copyOf(committedStreams);
    }

    /** Committed rows of a table ({@code projects/P/datasets/D/tables/T}). */
    public synchronized List<DynamicMessage> committedRows(String table) {
        return List.copyOf(tables.getOrDefault(table, List.of()));
    }

    /** Rows appended to PENDING streams that are not committed (yet). */
    public synchronized long uncommittedRows() {
        return streams.values().stream().filter(s -> !s.isDefault && !s.committed).mapToLong(s -> s.rows.size()).sum();
    }

    public synchronized int pendingStreamsCreated() {
        return (int) streams.values().stream().filter(s -> !s.isDefault).count();
    }

    public synchronized int alreadyExistsAnswers() {
        return alreadyExistsAnswers;
    }

    public synchronized int alreadyCommittedAnswers() {
        return alreadyCommittedAnswers;
    }

    // ---- service

    @Override
    public synchronized void createWriteStream(CreateWriteStreamRequest request, StreamObserver<WriteStream> response) {
        if (request.getWriteStream().getType() != WriteStream.Type.PENDING) {
            response.onError(Status.UNIMPLEMENTED.withDescription("fake supports PENDING only").asRuntimeException());
            return;
        }
        String name = request.getParent() + "/streams/" + UUID.randomUUID();
        streams.put(name, new Stream(request.getParent(), false));
        response.onNext(WriteStream.newBuilder().setName(name).setType(WriteStream.Type.PENDING)
                .setCreateTime(now()).build());
        response.onCompleted();
    }

    @Override
    public synchronized void getWriteStream(GetWriteStreamRequest request, StreamObserver<WriteStream> response) {
        String name = request.getName();
        Stream s = stream(name);
        response.onNext(WriteStream.newBuilder().setName(name)
                .setType(s.isDefault ? WriteStream.Type.COMMITTED : WriteStream.Type.PENDING).build());
        response.onCompleted();
    }

    @Override
    public StreamObserver<AppendRowsRequest> appendRows(StreamObserver<AppendRowsResponse> responses) {
        return new StreamObserver<>() {
            String streamName;
            Descriptors.Descriptor descriptor;
            boolean closed;

            @Override
            public void onNext(AppendRowsRequest request) {
                synchronized (FakeBigQueryWrite.this) {
                    if (closed) {
                        return;
                    }
                    if (!request.getWriteStream().isEmpty()) {
                        streamName = request.getWriteStream();
                    }
                    if (request.getProtoRows().hasWriterSchema()) {
                        descriptor = descriptor(request.getProtoRows().getWriterSchema().getProtoDescriptor());
                    }
                    AppendRowsResponse answer = append(streamName, descriptor, request);
                    if (answer == null) {
                        closed = true;
                        responses.onError(Status.UNAVAILABLE.withDescription("fake: connection dropped")
                                .asRuntimeException());
                        return;
                    }
                    responses.onNext(answer);
                }
            }

            @Override
            public void onError(Throwable t) {
                closed = true;
            }

            @Override
            public void onCompleted() {
                if (!closed) {
                    closed = true;
                    responses.onCompleted();
                }
            }
        };
    }

    /** Null means: drop the connection. */
    private AppendRowsResponse append(String name, Descriptors.Descriptor descriptor, AppendRowsRequest request) {
        Stream s = stream(name);
        AppendRowsResponse.Builder answer = AppendRowsResponse.newBuilder().setWriteStream(name);
        if (failAppends > 0) {
            failAppends--;
            return answer.setError(com.google.rpc.Status.newBuilder().setCode(failCode.value())
                    .setMessage("fake: injected " + failCode)).build();
        }
        if (s.finalized || s.committed) {
            return answer.setError(error(Status.Code.INVALID_ARGUMENT, StorageError.StorageErrorCode.STREAM_FINALIZED,
                    name, "Stream is finalized")).build();
        }
        List<DynamicMessage> rows = new ArrayList<>();
        List<RowError> rowErrors = new ArrayList<>();
        List<ByteString> serialized = request.getProtoRows().getRows().getSerializedRowsList();
        for (int i = 0; i < serialized.size(); i++) {
            try {
                DynamicMessage row = DynamicMessage.parseFrom(descriptor, serialized.get(i));
                if (rejectRow.test(row)) {
                    rowErrors.add(RowError.newBuilder().setIndex(i).setCode(RowError.RowErrorCode.FIELDS_ERROR)
                            .setMessage("fake: row " + i + " rejected").build());
                }
                rows.add(row);
            } catch (InvalidProtocolBufferException e) {
                rowErrors.add(RowError.newBuilder().setIndex(i).setCode(RowError.RowErrorCode.FIELDS_ERROR)
                        .setMessage("cannot decode: " + e.getMessage()).build());
            }
        }
        if (!rowErrors.isEmpty()) {
            return answer.setError(com.google.rpc.Status.newBuilder().setCode(Status.Code.INVALID_ARGUMENT.value())
                    .setMessage("fake: rows rejected")).addAllRowErrors(rowErrors).build();
        }
        long expected = s.rows.size();
        if (request.hasOffset() && !s.isDefault) {
            long offset = request.getOffset().getValue();
            if (offset < expected) {
                alreadyExistsAnswers++;
                return answer.setError(error(Status.Code.ALREADY_EXISTS, StorageError.StorageErrorCode.OFFSET_ALREADY_EXISTS,
                        name, "Offset already exists: expected offset " + expected + ", received " + offset)).build();
            }
            if (offset > expected) {
                return answer.setError(error(Status.Code.OUT_OF_RANGE, StorageError.StorageErrorCode.OFFSET_OUT_OF_RANGE,
                        name, "Offset out of range: expected offset " + expected + ", received " + offset)).build();
            }
        }
        s.rows.addAll(rows);
        if (s.isDefault) {
            tables.computeIfAbsent(s.table, t -> new ArrayList<>()).addAll(rows);
            committedListener.accept(s.table, rows);
        }
        if (dropResponsesAfterPersist > 0) {
            dropResponsesAfterPersist--;
            return null;
        }
        AppendRowsResponse.AppendResult.Builder result = AppendRowsResponse.AppendResult.newBuilder();
        if (!s.isDefault) {
            result.setOffset(Int64Value.of(expected));
        }
        return answer.setAppendResult(result).build();
    }

    @Override
    public synchronized void finalizeWriteStream(FinalizeWriteStreamRequest request,
            StreamObserver<FinalizeWriteStreamResponse> response) {
        Status.Code fault = commitFaults.onFinalize(request.getName());
        if (fault != null) {
            response.onError(injected(fault, "FinalizeWriteStream " + request.getName()));
            return;
        }
        Stream s = streams.get(request.getName());
        if (s == null || s.isDefault) {
            response.onError(Status.NOT_FOUND.withDescription("Stream not found: " + request.getName()).asRuntimeException());
            return;
        }
        s.finalized = true;
        response.onNext(FinalizeWriteStreamResponse.newBuilder().setRowCount(s.rows.size()).build());
        response.onCompleted();
    }

    @Override
    public synchronized void batchCommitWriteStreams(BatchCommitWriteStreamsRequest request,
            StreamObserver<BatchCommitWriteStreamsResponse> response) {
        BatchCommitWriteStreamsResponse.Builder answer = BatchCommitWriteStreamsResponse.newBuilder();
        switch (commitFaults.onCommit(request.getWriteStreamsList())) {
            case ERROR_CODE -> {
                response.onError(injected(commitFaults.commitErrorCode(), "BatchCommitWriteStreams on " + request.getParent()));
                return;
            }
            case EMPTY_REPLY -> {
                response.onNext(answer.build());
                response.onCompleted();
                return;
            }
            case STREAM_ERRORS -> {
                StorageError.StorageErrorCode code = commitFaults.streamErrorCode();
                request.getWriteStreamsList().forEach(name ->
                        answer.addStreamErrors(storageError(code, name, "fake: injected " + code)));
                response.onNext(answer.build());
                response.onCompleted();
                return;
            }
            case NORMAL -> { }
        }
        for (String name : request.getWriteStreamsList()) {
            Stream s = streams.get(name);
            if (s == null) {
                answer.addStreamErrors(storageError(StorageError.StorageErrorCode.STREAM_NOT_FOUND, name, "not found"));
            } else if (s.committed) {
                alreadyCommittedAnswers++;
                answer.addStreamErrors(storageError(StorageError.StorageErrorCode.STREAM_ALREADY_COMMITTED, name,
                        "Stream already committed"));
            } else if (!s.finalized) {
                answer.addStreamErrors(storageError(StorageError.StorageErrorCode.INVALID_STREAM_STATE, name,
                        "Stream is not finalized"));
            }
        }
        if (answer.getStreamErrorsCount() == 0) {
            for (String name : request.getWriteStreamsList()) {
                Stream s = streams.get(name);
                s.committed = true;
                committedStreams.add(name);
                tables.computeIfAbsent(s.table, t -> new ArrayList<>()).addAll(s.rows);
                committedListener.accept(s.table, List.copyOf(s.rows));
            }
            answer.setCommitTime(now());
            Status.Code lost = commitFaults.lostReplyCode();
            if (lost != null) {
                StatusRuntimeException error = injected(lost,
                        "reply to the applied BatchCommitWriteStreams on " + request.getParent() + " lost");
                delayedReplies.schedule(() -> response.onError(error), commitFaults.lostReplyDelay().toMillis(),
                        TimeUnit.MILLISECONDS);
                return;
            }
        }
        response.onNext(answer.build());
        response.onCompleted();
    }

    private static StatusRuntimeException injected(Status.Code code, String call) {
        return Status.fromCode(code).withDescription("fake: injected " + code + " on " + call).asRuntimeException();
    }

    @Override
    public void flushRows(FlushRowsRequest request, StreamObserver<FlushRowsResponse> response) {
        response.onError(Status.UNIMPLEMENTED.withDescription("fake: no BUFFERED streams").asRuntimeException());
    }

    private Stream stream(String name) {
        if (name.endsWith("/streams/_default") || name.endsWith("/_default")) {
            String table = name.substring(0, name.lastIndexOf(name.endsWith("/streams/_default") ? "/streams/" : "/_default"));
            return streams.computeIfAbsent(table + "/streams/_default", n -> new Stream(table, true));
        }
        Stream s = streams.get(name);
        if (s == null) {
            throw Status.NOT_FOUND.withDescription("Stream not found: " + name).asRuntimeException();
        }
        return s;
    }

    private com.google.rpc.Status error(Status.Code code, StorageError.StorageErrorCode storageCode, String entity,
            String message) {
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message);
        if (!plainErrors) {
            status.addDetails(Any.pack(storageError(storageCode, entity, message)));
        }
        return status.build();
    }

    private static StorageError storageError(StorageError.StorageErrorCode code, String entity, String message) {
        return StorageError.newBuilder().setCode(code).setEntity(entity).setErrorMessage(message).build();
    }

    private static Descriptors.Descriptor descriptor(DescriptorProtos.DescriptorProto proto) {
        try {
            DescriptorProtos.FileDescriptorProto file = DescriptorProtos.FileDescriptorProto.newBuilder()
                    .setName("writer_schema.proto").addMessageType(proto).build();
            return Descriptors.FileDescriptor.buildFrom(file, new Descriptors.FileDescriptor[0])
                    .findMessageTypeByName(proto.getName());
        } catch (Descriptors.DescriptorValidationException e) {
            throw Status.INVALID_ARGUMENT.withDescription("bad writer schema: " + e.getMessage()).asRuntimeException();
        }
    }

    private static Timestamp now() {
        long millis = System.currentTimeMillis();
        return Timestamp.newBuilder().setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
    }
}
