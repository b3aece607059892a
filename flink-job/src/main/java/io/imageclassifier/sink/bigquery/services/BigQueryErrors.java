package io.imageclassifier.sink.bigquery.services;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.bigquery.storage.v1.Exceptions;
import com.google.cloud.bigquery.storage.v1.StorageError;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.StatusRuntimeException;
import java.util.Map;

/**
 * Sorts a failure of a BigQuery call into what the sink does about it: treat as written, split
 * off rejected rows, retry with backoff, or fail the job. Reads typed client exceptions first
 * (they need a {@code StorageError} detail), then the plain gRPC code (what emulators send).
 */
public final class BigQueryErrors {

    /** What to do about a failure. */
    public enum Kind {
        /** The rows at that offset are already in the stream (a retried append that had landed). */
        OFFSET_ALREADY_EXISTS,
        /** BigQuery rejected some rows of the request; nothing of it was written. */
        ROW_ERRORS,
        /** Network, server or connection trouble: retry with backoff. */
        RETRYABLE,
        /** Quota, permission, missing table, bad request, offset gap: fail the job loudly. */
        FATAL
    }

    private BigQueryErrors() {}

    /** The kind of {@code failure} (any wrapper of a client exception). */
    public static Kind classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Exceptions.OffsetAlreadyExists) {
                return Kind.OFFSET_ALREADY_EXISTS;
            }
            if (t instanceof Exceptions.AppendSerializtionError e && !e.getRowIndexToErrorMessage().isEmpty()) {
                return Kind.ROW_ERRORS;
            }
            if (t instanceof Exceptions.OffsetOutOfRange || t instanceof Exceptions.StreamFinalizedException) {
                return Kind.FATAL;
            }
            if (t instanceof Exceptions.StreamWriterClosedException) {
                return Kind.RETRYABLE;
            }
        }
        Status.Code code = code(failure);
        if (code == null) {
            return Kind.FATAL;
        }
        return switch (code) {
            case ALREADY_EXISTS -> Kind.OFFSET_ALREADY_EXISTS;
            case UNAVAILABLE, INTERNAL, ABORTED, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN -> Kind.RETRYABLE;
            default -> Kind.FATAL;
        };
    }

    /** Row index to message when {@code failure} carries row errors, else empty. */
    public static Map<Integer, String> rowErrors(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Exceptions.AppendSerializtionError e) {
                return e.getRowIndexToErrorMessage();
            }
        }
        return Map.of();
    }

    /** The {@code StorageError} code packed in the failure's {@code google.rpc.Status} details, or null. */
    public static StorageError.StorageErrorCode storageErrorCode(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            com.google.rpc.Status status = StatusProto.fromThrowable(t);
            if (status == null) {
                continue;
            }
            for (Any detail : status.getDetailsList()) {
                if (detail.is(StorageError.class)) {
                    try {
                        return detail.unpack(StorageError.class).getCode();
                    } catch (InvalidProtocolBufferException e) {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    /**
     * The gRPC code and BigQuery's message, e.g. {@code PERMISSION_DENIED: Permission ... denied},
     * without the client's wrapper class names; the exception's message when it carries no code.
     */
    public static String describe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                String description = s.getStatus().getDescription();
                return s.getStatus().getCode() + (description == null ? "" : ": " + description);
            }
        }
        return failure.getMessage();
    }

    /** The gRPC code somewhere in the cause chain, or null. */
    public static Status.Code code(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                return s.getStatus().getCode();
            }
            if (t instanceof ApiException a) {
                return Status.Code.valueOf(a.getStatusCode().getCode().name());
            }
        }
        return null;
    }
}
